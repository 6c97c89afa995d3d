-- Kea's MySQL schema 14.0 (Kea 2.2's) taken to 35.0 (Kea 3.1.9's and
-- 3.2's): the changes of Kea's versions 15.0 to 35.0 together, the rows
-- converted as Kea's own upgrade converts them. The tables, columns,
-- keys, lookup rows and the names and parameters of the routines and
-- triggers are Kea's interface; the routines' and triggers' bodies are
-- leased's own. Statements end at a line $$. The caller sets
-- @disable_audit, so that the configuration backend's triggers write no
-- audit entries for the rows converted here.
--
-- New columns come in the order Kea's versions added them: a database
-- kea-admin made at 35.0 has them in that order too.
ALTER TABLE dhcp4_options ADD COLUMN cancelled TINYINT(1) NOT NULL DEFAULT 0
$$
ALTER TABLE dhcp6_options ADD COLUMN cancelled TINYINT(1) NOT NULL DEFAULT 0
$$
ALTER TABLE dhcp4_shared_network ADD COLUMN offer_lifetime INT(10) DEFAULT NULL
$$
ALTER TABLE dhcp4_subnet ADD COLUMN offer_lifetime INT(10) DEFAULT NULL
$$
ALTER TABLE dhcp4_client_class ADD COLUMN offer_lifetime INT(10) DEFAULT NULL
$$
ALTER TABLE dhcp4_subnet ADD COLUMN allocator TEXT NULL
$$
ALTER TABLE dhcp4_shared_network ADD COLUMN allocator TEXT NULL
$$
ALTER TABLE dhcp6_subnet ADD COLUMN allocator TEXT NULL, ADD COLUMN pd_allocator TEXT NULL
$$
ALTER TABLE dhcp6_shared_network ADD COLUMN allocator TEXT NULL, ADD COLUMN pd_allocator TEXT NULL
$$
-- lease4: longer client identifiers; the relay and remote identifiers
-- (copies of what the user context holds, for lookups by them); the pool
-- a lease was allocated from (0: none known); lookups by state.
ALTER TABLE lease4
    MODIFY COLUMN client_id VARBINARY(255),
    ADD COLUMN relay_id VARBINARY(255) DEFAULT NULL,
    ADD COLUMN remote_id VARBINARY(255) DEFAULT NULL,
    ADD COLUMN pool_id INT UNSIGNED NOT NULL DEFAULT 0,
    ADD INDEX lease4_by_relay_id (relay_id),
    ADD INDEX lease4_by_remote_id (remote_id),
    ADD INDEX lease4_by_state (state, subnet_id)
$$
ALTER TABLE hosts MODIFY COLUMN dhcp_identifier VARBINARY(255) NOT NULL
$$
-- lease6: longer DUIDs and the pool. The address becomes its 16 bytes
-- (below, once the new triggers are in place).
ALTER TABLE lease6
    MODIFY COLUMN duid VARBINARY(130),
    ADD COLUMN pool_id INT UNSIGNED NOT NULL DEFAULT 0
$$
-- Counts by pool, for states 0 and 1 as lease4_stat and lease6_stat.
CREATE TABLE lease4_pool_stat (
    subnet_id INT UNSIGNED NOT NULL,
    pool_id INT UNSIGNED NOT NULL,
    state INT UNSIGNED NOT NULL,
    leases BIGINT,
    PRIMARY KEY (subnet_id, pool_id, state)
) ENGINE = InnoDB
$$
CREATE TABLE lease6_pool_stat (
    subnet_id INT UNSIGNED NOT NULL,
    pool_id INT UNSIGNED NOT NULL,
    lease_type INT UNSIGNED NOT NULL,
    state INT UNSIGNED NOT NULL,
    leases BIGINT,
    PRIMARY KEY (subnet_id, pool_id, lease_type, state)
) ENGINE = InnoDB
$$
-- The routines and triggers that change. The old triggers go first: they
-- call isJsonSupported, which 35.0 no longer has.
DROP TRIGGER lease4_AINS
$$
DROP TRIGGER lease4_AUPD
$$
DROP TRIGGER lease4_ADEL
$$
DROP TRIGGER lease6_AINS
$$
DROP TRIGGER lease6_AUPD
$$
DROP TRIGGER lease6_ADEL
$$
DROP FUNCTION isJsonSupported
$$
CREATE PROCEDURE lease4_AINS_lease4_pool_stat(IN new_state TINYINT, IN new_subnet_id INT UNSIGNED,
                                              IN new_pool_id INT UNSIGNED)
BEGIN
    IF new_state IN (0, 1) THEN
        INSERT INTO lease4_pool_stat (subnet_id, pool_id, state, leases)
            VALUES (new_subnet_id, new_pool_id, new_state, 1)
            ON DUPLICATE KEY UPDATE leases = leases + 1;
    END IF;
END
$$
CREATE PROCEDURE lease4_ADEL_lease4_pool_stat(IN old_state TINYINT, IN old_subnet_id INT UNSIGNED,
                                              IN old_pool_id INT UNSIGNED)
BEGIN
    IF old_state IN (0, 1) THEN
        UPDATE lease4_pool_stat AS st SET st.leases = GREATEST(st.leases, 1) - 1
            WHERE st.subnet_id = old_subnet_id AND st.pool_id = old_pool_id AND st.state = old_state;
    END IF;
END
$$
CREATE PROCEDURE lease4_AUPD_lease4_pool_stat(IN old_state TINYINT, IN old_subnet_id INT UNSIGNED,
                                              IN old_pool_id INT UNSIGNED, IN new_state TINYINT,
                                              IN new_subnet_id INT UNSIGNED, IN new_pool_id INT UNSIGNED)
BEGIN
    IF NOT (old_subnet_id = new_subnet_id AND old_pool_id = new_pool_id AND old_state = new_state) THEN
        CALL lease4_ADEL_lease4_pool_stat(old_state, old_subnet_id, old_pool_id);
        CALL lease4_AINS_lease4_pool_stat(new_state, new_subnet_id, new_pool_id);
    END IF;
END
$$
CREATE PROCEDURE lease6_AINS_lease6_pool_stat(IN new_state TINYINT, IN new_subnet_id INT UNSIGNED,
                                              IN new_pool_id INT UNSIGNED, IN new_lease_type TINYINT)
BEGIN
    IF new_state IN (0, 1) THEN
        INSERT INTO lease6_pool_stat (subnet_id, pool_id, lease_type, state, leases)
            VALUES (new_subnet_id, new_pool_id, new_lease_type, new_state, 1)
            ON DUPLICATE KEY UPDATE leases = leases + 1;
    END IF;
END
$$
CREATE PROCEDURE lease6_ADEL_lease6_pool_stat(IN old_state TINYINT, IN old_subnet_id INT UNSIGNED,
                                              IN old_pool_id INT UNSIGNED, IN old_lease_type TINYINT)
BEGIN
    IF old_state IN (0, 1) THEN
        UPDATE lease6_pool_stat AS st SET st.leases = GREATEST(st.leases, 1) - 1
            WHERE st.subnet_id = old_subnet_id AND st.pool_id = old_pool_id
              AND st.lease_type = old_lease_type AND st.state = old_state;
    END IF;
END
$$
CREATE PROCEDURE lease6_AUPD_lease6_pool_stat(IN old_state TINYINT, IN old_subnet_id INT UNSIGNED,
                                              IN old_pool_id INT UNSIGNED, IN old_lease_type TINYINT,
                                              IN new_state TINYINT, IN new_subnet_id INT UNSIGNED,
                                              IN new_pool_id INT UNSIGNED, IN new_lease_type TINYINT)
BEGIN
    IF NOT (old_subnet_id = new_subnet_id AND old_pool_id = new_pool_id
            AND old_lease_type = new_lease_type AND old_state = new_state) THEN
        CALL lease6_ADEL_lease6_pool_stat(old_state, old_subnet_id, old_pool_id, old_lease_type);
        CALL lease6_AINS_lease6_pool_stat(new_state, new_subnet_id, new_pool_id, new_lease_type);
    END IF;
END
$$
-- DHCPv6 counts registered addresses (state 4) too.
DROP PROCEDURE lease6_AINS_lease6_stat
$$
DROP PROCEDURE lease6_ADEL_lease6_stat
$$
DROP PROCEDURE lease6_AUPD_lease6_stat
$$
CREATE PROCEDURE lease6_AINS_lease6_stat(IN new_state TINYINT, IN new_subnet_id INT UNSIGNED,
                                         IN new_lease_type TINYINT)
BEGIN
    IF new_state IN (0, 1, 4) THEN
        INSERT INTO lease6_stat (subnet_id, lease_type, state, leases)
            VALUES (new_subnet_id, new_lease_type, new_state, 1)
            ON DUPLICATE KEY UPDATE leases = leases + 1;
    END IF;
END
$$
CREATE PROCEDURE lease6_ADEL_lease6_stat(IN old_state TINYINT, IN old_subnet_id INT UNSIGNED,
                                         IN old_lease_type TINYINT)
BEGIN
    IF old_state IN (0, 1, 4) THEN
        UPDATE lease6_stat AS st SET st.leases = GREATEST(st.leases, 1) - 1
            WHERE st.subnet_id = old_subnet_id AND st.lease_type = old_lease_type
              AND st.state = old_state;
    END IF;
END
$$
CREATE PROCEDURE lease6_AUPD_lease6_stat(IN old_state TINYINT, IN old_subnet_id INT UNSIGNED,
                                         IN old_lease_type TINYINT, IN new_state TINYINT,
                                         IN new_subnet_id INT UNSIGNED, IN new_lease_type TINYINT)
BEGIN
    IF NOT (old_subnet_id = new_subnet_id AND old_lease_type = new_lease_type
            AND old_state = new_state) THEN
        CALL lease6_ADEL_lease6_stat(old_state, old_subnet_id, old_lease_type);
        CALL lease6_AINS_lease6_stat(new_state, new_subnet_id, new_lease_type);
    END IF;
END
$$
-- An update whose old or new user context is not JSON no longer fails:
-- that context names no class (the insert and delete counts already
-- treated it so).
DROP PROCEDURE lease4_AUPD_lease4_stat_by_client_class
$$
DROP PROCEDURE lease6_AUPD_lease6_stat_by_client_class
$$
CREATE PROCEDURE lease4_AUPD_lease4_stat_by_client_class(IN old_state TINYINT, IN old_user_context TEXT,
                                                         IN new_state TINYINT, IN new_user_context TEXT)
BEGIN
    DECLARE before_classes TEXT;
    DECLARE after_classes TEXT;
    DECLARE CONTINUE HANDLER FOR 3141, 4037 BEGIN END;
    SET before_classes = JSON_EXTRACT(old_user_context, '$.ISC."client-classes"');
    SET after_classes = JSON_EXTRACT(new_user_context, '$.ISC."client-classes"');
    IF old_state <> new_state OR before_classes <> after_classes THEN
        CALL lease4_ADEL_lease4_stat_by_client_class(old_state, old_user_context);
        CALL lease4_AINS_lease4_stat_by_client_class(new_state, new_user_context);
    END IF;
END
$$
CREATE PROCEDURE lease6_AUPD_lease6_stat_by_client_class(IN old_state TINYINT, IN old_user_context TEXT,
                                                         IN old_lease_type TINYINT, IN new_state TINYINT,
                                                         IN new_user_context TEXT, IN new_lease_type TINYINT)
BEGIN
    DECLARE before_classes TEXT;
    DECLARE after_classes TEXT;
    DECLARE CONTINUE HANDLER FOR 3141, 4037 BEGIN END;
    SET before_classes = JSON_EXTRACT(old_user_context, '$.ISC."client-classes"');
    SET after_classes = JSON_EXTRACT(new_user_context, '$.ISC."client-classes"');
    IF old_state <> new_state OR before_classes <> after_classes OR old_lease_type <> new_lease_type THEN
        CALL lease6_ADEL_lease6_stat_by_client_class(old_state, old_user_context, old_lease_type);
        CALL lease6_AINS_lease6_stat_by_client_class(new_state, new_user_context, new_lease_type);
    END IF;
END
$$
-- The triggers keep every count; JSON functions are taken as given.
CREATE TRIGGER lease4_AINS AFTER INSERT ON lease4 FOR EACH ROW
BEGIN
    CALL lease4_AINS_lease4_stat(NEW.state, NEW.subnet_id);
    CALL lease4_AINS_lease4_pool_stat(NEW.state, NEW.subnet_id, NEW.pool_id);
    CALL lease4_AINS_lease4_stat_by_client_class(NEW.state, NEW.user_context);
END
$$
CREATE TRIGGER lease4_AUPD AFTER UPDATE ON lease4 FOR EACH ROW
BEGIN
    CALL lease4_AUPD_lease4_stat(OLD.state, OLD.subnet_id, NEW.state, NEW.subnet_id);
    CALL lease4_AUPD_lease4_pool_stat(OLD.state, OLD.subnet_id, OLD.pool_id,
                                      NEW.state, NEW.subnet_id, NEW.pool_id);
    CALL lease4_AUPD_lease4_stat_by_client_class(OLD.state, OLD.user_context, NEW.state, NEW.user_context);
END
$$
CREATE TRIGGER lease4_ADEL AFTER DELETE ON lease4 FOR EACH ROW
BEGIN
    CALL lease4_ADEL_lease4_stat(OLD.state, OLD.subnet_id);
    CALL lease4_ADEL_lease4_pool_stat(OLD.state, OLD.subnet_id, OLD.pool_id);
    CALL lease4_ADEL_lease4_stat_by_client_class(OLD.state, OLD.user_context);
END
$$
CREATE TRIGGER lease6_AINS AFTER INSERT ON lease6 FOR EACH ROW
BEGIN
    CALL lease6_AINS_lease6_stat(NEW.state, NEW.subnet_id, NEW.lease_type);
    CALL lease6_AINS_lease6_pool_stat(NEW.state, NEW.subnet_id, NEW.pool_id, NEW.lease_type);
    CALL lease6_AINS_lease6_stat_by_client_class(NEW.state, NEW.user_context, NEW.lease_type);
END
$$
CREATE TRIGGER lease6_AUPD AFTER UPDATE ON lease6 FOR EACH ROW
BEGIN
    CALL lease6_AUPD_lease6_stat(OLD.state, OLD.subnet_id, OLD.lease_type,
                                 NEW.state, NEW.subnet_id, NEW.lease_type);
    CALL lease6_AUPD_lease6_pool_stat(OLD.state, OLD.subnet_id, OLD.pool_id, OLD.lease_type,
                                      NEW.state, NEW.subnet_id, NEW.pool_id, NEW.lease_type);
    CALL lease6_AUPD_lease6_stat_by_client_class(OLD.state, OLD.user_context, OLD.lease_type,
                                                 NEW.state, NEW.user_context, NEW.lease_type);
END
$$
CREATE TRIGGER lease6_ADEL AFTER DELETE ON lease6 FOR EACH ROW
BEGIN
    CALL lease6_ADEL_lease6_stat(OLD.state, OLD.subnet_id, OLD.lease_type);
    CALL lease6_ADEL_lease6_pool_stat(OLD.state, OLD.subnet_id, OLD.pool_id, OLD.lease_type);
    CALL lease6_ADEL_lease6_stat_by_client_class(OLD.state, OLD.user_context, OLD.lease_type);
END
$$
-- The dump and upload procedures carry the pool; lease6's address is
-- bytes now.
DROP PROCEDURE lease4DumpHeader
$$
DROP PROCEDURE lease4DumpData
$$
DROP PROCEDURE lease6DumpHeader
$$
DROP PROCEDURE lease6DumpData
$$
DROP PROCEDURE lease4Upload
$$
DROP PROCEDURE lease6Upload
$$
CREATE PROCEDURE lease4DumpHeader()
SELECT 'address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context,pool_id'
$$
CREATE PROCEDURE lease4DumpData()
SELECT INET_NTOA(l.address), COALESCE(colonSeparatedHex(HEX(l.hwaddr)), ''),
       COALESCE(colonSeparatedHex(HEX(l.client_id)), ''), l.valid_lifetime, UNIX_TIMESTAMP(l.expire),
       l.subnet_id, l.fqdn_fwd, l.fqdn_rev, REPLACE(l.hostname, ',', '&#x2c'), l.state,
       REPLACE(COALESCE(l.user_context, ''), ',', '&#x2c'), l.pool_id
  FROM lease4 AS l ORDER BY l.address
$$
CREATE PROCEDURE lease6DumpHeader()
SELECT 'address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,fqdn_fwd,fqdn_rev,hostname,hwaddr,state,user_context,hwtype,hwaddr_source,pool_id'
$$
CREATE PROCEDURE lease6DumpData()
SELECT INET6_NTOA(l.address), COALESCE(colonSeparatedHex(HEX(l.duid)), ''), l.valid_lifetime,
       UNIX_TIMESTAMP(l.expire), l.subnet_id, l.pref_lifetime, l.lease_type, l.iaid, l.prefix_len,
       l.fqdn_fwd, l.fqdn_rev, REPLACE(l.hostname, ',', '&#x2c'), COALESCE(colonSeparatedHex(HEX(l.hwaddr)), ''),
       l.state, REPLACE(COALESCE(l.user_context, ''), ',', '&#x2c'), l.hwtype, l.hwaddr_source, l.pool_id
  FROM lease6 AS l ORDER BY l.address
$$
CREATE PROCEDURE lease4Upload(IN address VARCHAR(15), IN hwaddr VARCHAR(20), IN client_id VARCHAR(255),
                              IN valid_lifetime INT UNSIGNED, IN expire BIGINT UNSIGNED,
                              IN subnet_id INT UNSIGNED, IN fqdn_fwd TINYINT, IN fqdn_rev TINYINT,
                              IN hostname VARCHAR(255), IN state INT UNSIGNED, IN user_context TEXT,
                              IN pool_id INT UNSIGNED)
INSERT INTO lease4 (address, hwaddr, client_id, valid_lifetime, expire, subnet_id,
                    fqdn_fwd, fqdn_rev, hostname, state, user_context, pool_id)
     VALUES (INET_ATON(address), UNHEX(REPLACE(hwaddr, ':', '')), UNHEX(REPLACE(client_id, ':', '')),
             valid_lifetime, FROM_UNIXTIME(expire), subnet_id, fqdn_fwd, fqdn_rev,
             REPLACE(hostname, '&#x2c', ','), state, REPLACE(user_context, '&#x2c', ','), pool_id)
$$
CREATE PROCEDURE lease6Upload(IN address VARCHAR(39), IN duid VARCHAR(130), IN valid_lifetime INT UNSIGNED,
                              IN expire BIGINT UNSIGNED, IN subnet_id INT UNSIGNED,
                              IN pref_lifetime INT UNSIGNED, IN lease_type TINYINT, IN iaid INT UNSIGNED,
                              IN prefix_len TINYINT UNSIGNED, IN fqdn_fwd TINYINT, IN fqdn_rev TINYINT,
                              IN hostname VARCHAR(255), IN hwaddr VARCHAR(64), IN state INT UNSIGNED,
                              IN user_context TEXT, IN hwtype SMALLINT, IN hwaddr_source INT UNSIGNED,
                              IN pool_id INT UNSIGNED)
INSERT INTO lease6 (address, duid, valid_lifetime, expire, subnet_id, pref_lifetime, lease_type, iaid,
                    prefix_len, fqdn_fwd, fqdn_rev, hostname, hwaddr, state, user_context, hwtype,
                    hwaddr_source, pool_id)
     VALUES (INET6_ATON(address), UNHEX(REPLACE(duid, ':', '')), valid_lifetime, FROM_UNIXTIME(expire),
             subnet_id, pref_lifetime, lease_type, iaid, prefix_len, fqdn_fwd, fqdn_rev,
             REPLACE(hostname, '&#x2c', ','), UNHEX(REPLACE(hwaddr, ':', '')), state,
             REPLACE(user_context, '&#x2c', ','), hwtype, hwaddr_source, pool_id)
$$
-- Every existing lease is in pool 0: the pool counts start as the
-- per-subnet counts of states 0 and 1, from the leases themselves.
INSERT INTO lease4_pool_stat (subnet_id, pool_id, state, leases)
SELECT subnet_id, pool_id, state, COUNT(*) FROM lease4 WHERE state IN (0, 1) GROUP BY subnet_id, pool_id, state
$$
INSERT INTO lease6_pool_stat (subnet_id, pool_id, lease_type, state, leases)
SELECT subnet_id, pool_id, lease_type, state, COUNT(*) FROM lease6 WHERE state IN (0, 1)
 GROUP BY subnet_id, pool_id, lease_type, state
$$
-- A one-byte DUID (0x00, Kea 2.2's stand-in for none) becomes three
-- zero bytes, the shortest DUID Kea 3.x reads.
UPDATE lease6 SET duid = UNHEX('000000') WHERE duid = UNHEX('00')
$$
-- Addresses as 16 bytes: the text goes into a binary column first, where
-- its 16 bytes then fit in place; the keys on the column stay.
ALTER TABLE lease6 MODIFY COLUMN address VARBINARY(39) NOT NULL
$$
UPDATE lease6 SET address = INET6_ATON(address)
$$
ALTER TABLE lease6 MODIFY COLUMN address BINARY(16) NOT NULL
$$
ALTER TABLE ipv6_reservations MODIFY COLUMN address VARBINARY(39) NOT NULL
$$
UPDATE ipv6_reservations SET address = INET6_ATON(address)
$$
ALTER TABLE ipv6_reservations MODIFY COLUMN address BINARY(16) NOT NULL
$$
-- Leases looked up by relay and remote identifier (bulk leasequery).
CREATE TABLE lease6_relay_id (
    extended_info_id INT UNSIGNED NOT NULL AUTO_INCREMENT,
    relay_id VARBINARY(130) NOT NULL,
    lease_addr BINARY(16) NOT NULL,
    PRIMARY KEY (extended_info_id),
    INDEX key_lease6_relay_id_by_id (relay_id, lease_addr ASC),
    INDEX key_lease6_relay_id_by_address (lease_addr),
    CONSTRAINT fk_lease6_relay_id_addr FOREIGN KEY (lease_addr)
        REFERENCES lease6 (address) ON DELETE CASCADE ON UPDATE NO ACTION
) ENGINE = InnoDB
$$
CREATE TABLE lease6_remote_id (
    extended_info_id INT UNSIGNED NOT NULL AUTO_INCREMENT,
    remote_id VARBINARY(255) NOT NULL,
    lease_addr BINARY(16) NOT NULL,
    PRIMARY KEY (extended_info_id),
    INDEX key_lease6_remote_id_by_id (remote_id, lease_addr ASC),
    INDEX key_lease6_remote_id_by_address (lease_addr),
    CONSTRAINT fk_lease6_remote_id_addr FOREIGN KEY (lease_addr)
        REFERENCES lease6 (address) ON DELETE CASCADE ON UPDATE NO ACTION
) ENGINE = InnoDB
$$
ALTER TABLE lease6
    ADD INDEX lease6_by_subnet_id_address (subnet_id, address ASC),
    ADD INDEX lease6_by_hwaddr (hwaddr),
    ADD INDEX lease6_by_state (state, subnet_id)
$$
-- The configuration backend's parameters that were renamed or dropped.
UPDATE dhcp4_global_parameter
   SET name = 'ddns-conflict-resolution-mode', parameter_type = 4,
       value = IF(value = '1', 'check-with-dhcid', 'no-check-with-dhcid')
 WHERE name = 'ddns-use-conflict-resolution' AND value IN ('0', '1')
$$
UPDATE dhcp6_global_parameter
   SET name = 'ddns-conflict-resolution-mode', parameter_type = 4,
       value = IF(value = '1', 'check-with-dhcid', 'no-check-with-dhcid')
 WHERE name = 'ddns-use-conflict-resolution' AND value IN ('0', '1')
$$
DELETE FROM dhcp4_global_parameter
 WHERE name IN ('dhcp-ddns.override-no-update', 'dhcp-ddns.override-client-update',
                'dhcp-ddns.replace-client-name', 'dhcp-ddns.generated-prefix',
                'dhcp-ddns.qualifying-suffix', 'dhcp-ddns.hostname-char-set',
                'dhcp-ddns.hostname-char-replacement',
                'control-socket.socket-name', 'control-socket.socket-type')
$$
DELETE FROM dhcp6_global_parameter
 WHERE name IN ('dhcp-ddns.override-no-update', 'dhcp-ddns.override-client-update',
                'dhcp-ddns.replace-client-name', 'dhcp-ddns.generated-prefix',
                'dhcp-ddns.qualifying-suffix', 'dhcp-ddns.hostname-char-set',
                'dhcp-ddns.hostname-char-replacement',
                'control-socket.socket-name', 'control-socket.socket-type')
$$
-- reservation-mode becomes a boolean of three: global, all (in subnet),
-- disabled or off (not in subnet), out-of-pool.
UPDATE dhcp4_global_parameter
   SET name = CASE value WHEN 'global' THEN 'reservations-global'
                         WHEN 'out-of-pool' THEN 'reservations-out-of-pool'
                         ELSE 'reservations-in-subnet' END,
       value = IF(value IN ('disabled', 'off'), '0', '1'), parameter_type = 2
 WHERE name = 'reservation-mode' AND value IN ('global', 'all', 'disabled', 'off', 'out-of-pool')
$$
UPDATE dhcp6_global_parameter
   SET name = CASE value WHEN 'global' THEN 'reservations-global'
                         WHEN 'out-of-pool' THEN 'reservations-out-of-pool'
                         ELSE 'reservations-in-subnet' END,
       value = IF(value IN ('disabled', 'off'), '0', '1'), parameter_type = 2
 WHERE name = 'reservation-mode' AND value IN ('global', 'all', 'disabled', 'off', 'out-of-pool')
$$
-- Option definitions with record fields are of type record (254), and
-- every type is one of option_def_data_type's.
UPDATE dhcp4_option_def SET type = 254 WHERE record_types IS NOT NULL
$$
UPDATE dhcp6_option_def SET type = 254 WHERE record_types IS NOT NULL
$$
CREATE TABLE option_def_data_type (
    id TINYINT UNSIGNED NOT NULL PRIMARY KEY,
    name VARCHAR(32) NOT NULL
) ENGINE = InnoDB
$$
INSERT INTO option_def_data_type VALUES (0, 'empty'), (1, 'binary'), (2, 'boolean'), (3, 'int8'),
    (4, 'int16'), (5, 'int32'), (6, 'uint8'), (7, 'uint16'), (8, 'uint32'), (10, 'ipv4-address'),
    (11, 'ipv6-address'), (12, 'ipv6-prefix'), (13, 'psid'), (14, 'string'), (15, 'tuple'),
    (16, 'fqdn'), (17, 'internal'), (254, 'record')
$$
ALTER TABLE dhcp4_option_def
    ADD CONSTRAINT fk_option_def_data_type4 FOREIGN KEY (type) REFERENCES option_def_data_type (id)
$$
ALTER TABLE dhcp6_option_def
    ADD CONSTRAINT fk_option_def_data_type6 FOREIGN KEY (type) REFERENCES option_def_data_type (id)
$$
ALTER TABLE ipv6_reservations
    ADD COLUMN excluded_prefix BINARY(16) DEFAULT NULL,
    ADD COLUMN excluded_prefix_len TINYINT(3) UNSIGNED NOT NULL DEFAULT 0
$$
-- Options name the classes they are for (a JSON list); the classes a
-- network, subnet or pool requires become the classes it evaluates
-- additionally, and a class only required becomes one only in that list.
ALTER TABLE dhcp4_options ADD COLUMN client_classes LONGTEXT DEFAULT NULL
$$
ALTER TABLE dhcp6_options ADD COLUMN client_classes LONGTEXT DEFAULT NULL
$$
ALTER TABLE dhcp4_shared_network CHANGE require_client_classes evaluate_additional_classes LONGTEXT DEFAULT NULL
$$
ALTER TABLE dhcp4_subnet CHANGE require_client_classes evaluate_additional_classes LONGTEXT DEFAULT NULL
$$
ALTER TABLE dhcp4_pool CHANGE require_client_classes evaluate_additional_classes LONGTEXT DEFAULT NULL
$$
ALTER TABLE dhcp6_shared_network CHANGE require_client_classes evaluate_additional_classes LONGTEXT DEFAULT NULL
$$
ALTER TABLE dhcp6_subnet CHANGE require_client_classes evaluate_additional_classes LONGTEXT DEFAULT NULL
$$
ALTER TABLE dhcp6_pool CHANGE require_client_classes evaluate_additional_classes LONGTEXT DEFAULT NULL
$$
ALTER TABLE dhcp6_pd_pool CHANGE require_client_classes evaluate_additional_classes LONGTEXT DEFAULT NULL
$$
ALTER TABLE dhcp4_client_class CHANGE only_if_required only_in_additional_list TINYINT NOT NULL DEFAULT '0'
$$
ALTER TABLE dhcp6_client_class CHANGE only_if_required only_in_additional_list TINYINT NOT NULL DEFAULT '0'
$$
-- A network's, subnet's or pool's one client class becomes a list of
-- classes (a JSON array of that one name; none when it had none).
ALTER TABLE dhcp4_shared_network CHANGE client_class client_classes LONGTEXT DEFAULT NULL
$$
UPDATE dhcp4_shared_network SET client_classes = IF(COALESCE(client_classes, '') = '', NULL, CONCAT('[ "', client_classes, '" ]'))
$$
ALTER TABLE dhcp4_subnet CHANGE client_class client_classes LONGTEXT DEFAULT NULL
$$
UPDATE dhcp4_subnet SET client_classes = IF(COALESCE(client_classes, '') = '', NULL, CONCAT('[ "', client_classes, '" ]'))
$$
ALTER TABLE dhcp4_pool CHANGE client_class client_classes LONGTEXT DEFAULT NULL
$$
UPDATE dhcp4_pool SET client_classes = IF(COALESCE(client_classes, '') = '', NULL, CONCAT('[ "', client_classes, '" ]'))
$$
ALTER TABLE dhcp6_shared_network CHANGE client_class client_classes LONGTEXT DEFAULT NULL
$$
UPDATE dhcp6_shared_network SET client_classes = IF(COALESCE(client_classes, '') = '', NULL, CONCAT('[ "', client_classes, '" ]'))
$$
ALTER TABLE dhcp6_subnet CHANGE client_class client_classes LONGTEXT DEFAULT NULL
$$
UPDATE dhcp6_subnet SET client_classes = IF(COALESCE(client_classes, '') = '', NULL, CONCAT('[ "', client_classes, '" ]'))
$$
ALTER TABLE dhcp6_pool CHANGE client_class client_classes LONGTEXT DEFAULT NULL
$$
UPDATE dhcp6_pool SET client_classes = IF(COALESCE(client_classes, '') = '', NULL, CONCAT('[ "', client_classes, '" ]'))
$$
ALTER TABLE dhcp6_pd_pool CHANGE client_class client_classes LONGTEXT DEFAULT NULL
$$
UPDATE dhcp6_pd_pool SET client_classes = IF(COALESCE(client_classes, '') = '', NULL, CONCAT('[ "', client_classes, '" ]'))
$$
ALTER TABLE dhcp4_shared_network
    ADD COLUMN ddns_ttl_percent FLOAT DEFAULT NULL, ADD COLUMN ddns_ttl INT(10) DEFAULT NULL,
    ADD COLUMN ddns_ttl_min INT(10) DEFAULT NULL, ADD COLUMN ddns_ttl_max INT(10) DEFAULT NULL
$$
ALTER TABLE dhcp4_subnet
    ADD COLUMN ddns_ttl_percent FLOAT DEFAULT NULL, ADD COLUMN ddns_ttl INT(10) DEFAULT NULL,
    ADD COLUMN ddns_ttl_min INT(10) DEFAULT NULL, ADD COLUMN ddns_ttl_max INT(10) DEFAULT NULL
$$
ALTER TABLE dhcp6_shared_network
    ADD COLUMN ddns_ttl_percent FLOAT DEFAULT NULL, ADD COLUMN ddns_ttl INT(10) DEFAULT NULL,
    ADD COLUMN ddns_ttl_min INT(10) DEFAULT NULL, ADD COLUMN ddns_ttl_max INT(10) DEFAULT NULL
$$
ALTER TABLE dhcp6_subnet
    ADD COLUMN ddns_ttl_percent FLOAT DEFAULT NULL, ADD COLUMN ddns_ttl INT(10) DEFAULT NULL,
    ADD COLUMN ddns_ttl_min INT(10) DEFAULT NULL, ADD COLUMN ddns_ttl_max INT(10) DEFAULT NULL
$$
-- An option for every class has the empty list, '[  ]', as Kea writes it.
UPDATE dhcp4_options SET client_classes = '[  ]' WHERE client_classes IS NULL
$$
ALTER TABLE dhcp4_options MODIFY COLUMN client_classes LONGTEXT NOT NULL
$$
UPDATE dhcp6_options SET client_classes = '[  ]' WHERE client_classes IS NULL
$$
ALTER TABLE dhcp6_options MODIFY COLUMN client_classes LONGTEXT NOT NULL
$$
-- The states released (3, DHCPv4 and v6) and registered (4, DHCPv6).
INSERT INTO lease_state VALUES (3, 'released'), (4, 'registered')
$$
-- The shared free lease queue (the shared-flq allocator): per pool the
-- range and the last address handed out, and the addresses free in it.
CREATE TABLE flq_pool4 (
    id BIGINT(20) UNSIGNED NOT NULL AUTO_INCREMENT,
    start_address INT UNSIGNED NOT NULL,
    end_address INT UNSIGNED NOT NULL,
    last_returned_address INT UNSIGNED DEFAULT 0,
    subnet_id INT UNSIGNED NOT NULL,
    created_ts TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    modification_ts TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY flq_pool4_address_range (start_address, end_address),
    KEY flq_pool4_by_subnet_id (subnet_id)
) ENGINE = InnoDB
$$
CREATE TABLE free_lease4 (
    address INT UNSIGNED NOT NULL,
    modification_ts TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (address)
) ENGINE = InnoDB
$$
CREATE TABLE flq_pool6 (
    id BIGINT(20) UNSIGNED NOT NULL AUTO_INCREMENT,
    start_address VARCHAR(45) NOT NULL,
    end_address VARCHAR(45) NOT NULL,
    lease_type TINYINT,
    delegated_len TINYINT UNSIGNED,
    last_returned_address VARCHAR(45) DEFAULT '::',
    subnet_id INT UNSIGNED NOT NULL,
    created_ts TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    modification_ts TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY (start_address, end_address),
    KEY flq_pool6_by_subnet_id (subnet_id)
) ENGINE = InnoDB
$$
CREATE TABLE free_lease6 (
    address VARCHAR(45) NOT NULL,
    bin_address BINARY(16) NOT NULL,
    modification_ts TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (address),
    UNIQUE KEY (bin_address)
) ENGINE = InnoDB
$$
-- IA_TA is gone: its leases are IA_NA ones now (the triggers move their
-- counts), and its counts and its type go.
UPDATE lease6 SET lease_type = 0 WHERE lease_type = 1
$$
DELETE FROM lease6_stat_by_client_class WHERE lease_type = 1
$$
DELETE FROM lease6_pool_stat WHERE lease_type = 1
$$
DELETE FROM lease6_stat WHERE lease_type = 1
$$
DELETE FROM lease6_types WHERE lease_type = 1
$$
ALTER TABLE flq_pool6
    ADD CONSTRAINT fk_flq_pool6_lease6_type FOREIGN KEY (lease_type) REFERENCES lease6_types (lease_type)
$$
-- prefix plus one at bit prefix_len (the next prefix of that length);
-- a length outside 1 to 128 leaves it as it is. Past the last prefix
-- it wraps to zero.
CREATE FUNCTION incrementV6Prefix(prefix BINARY(16), prefix_len INT UNSIGNED) RETURNS BINARY(16) DETERMINISTIC
BEGIN
    DECLARE result BINARY(16) DEFAULT prefix;
    -- The byte (from 1) holding the prefix's last bit, and that bit's value in it.
    DECLARE pos INT DEFAULT (prefix_len + 7) DIV 8;
    DECLARE carry INT DEFAULT 1 << ((8 - prefix_len % 8) % 8);
    DECLARE sum INT;
    IF prefix_len < 1 OR prefix_len > 128 THEN
        RETURN prefix;
    END IF;
    WHILE carry > 0 AND pos >= 1 DO
        SET sum = ORD(SUBSTRING(result, pos, 1)) + carry;
        SET result = INSERT(result, pos, 1, CHAR(sum % 256 USING binary));
        SET carry = sum DIV 256;
        SET pos = pos - 1;
    END WHILE;
    RETURN result;
END
$$
-- @kea_recursion_limit: how many rows one recursive query of this
-- session may make, at most 1000. MariaDB and MySQL each know only their
-- own setting, so each is read through a prepared statement, and one
-- the server does not know is skipped; a setting of 0 (none allowed) is
-- raised to 1000 for the session.
CREATE PROCEDURE setLoopLimit()
BEGIN
    DECLARE CONTINUE HANDLER FOR SQLEXCEPTION BEGIN END;
    IF @kea_recursion_limit IS NULL THEN
        SET @kea_loop_probe = 'SELECT @@max_recursive_iterations INTO @kea_recursion_limit';
        PREPARE kea_loop_stmt FROM @kea_loop_probe;
        EXECUTE kea_loop_stmt;
        DEALLOCATE PREPARE kea_loop_stmt;
        IF @kea_recursion_limit IS NULL THEN
            SET @kea_loop_probe = 'SELECT @@cte_max_recursion_depth INTO @kea_recursion_limit';
            PREPARE kea_loop_stmt FROM @kea_loop_probe;
            EXECUTE kea_loop_stmt;
            DEALLOCATE PREPARE kea_loop_stmt;
        END IF;
        IF @kea_recursion_limit = 0 THEN
            SET @kea_loop_probe = IF(@@version LIKE '%MariaDB%', 'SET SESSION max_recursive_iterations = 1000',
                                     'SET SESSION cte_max_recursion_depth = 1000');
            PREPARE kea_loop_stmt FROM @kea_loop_probe;
            EXECUTE kea_loop_stmt;
            DEALLOCATE PREPARE kea_loop_stmt;
        END IF;
        IF @kea_recursion_limit IS NULL OR @kea_recursion_limit <= 0 OR @kea_recursion_limit > 1000 THEN
            SET @kea_recursion_limit = 1000;
        END IF;
    END IF;
END
$$
-- A pool for the shared free lease queue: its range recorded (again,
-- with p_recreate 1; a second one is a duplicate key otherwise) and every
-- address in it that no lease holds, or whose lease is reclaimed, listed
-- free. The range is walked in pieces the recursion limit allows.
CREATE PROCEDURE sflqCreateFlqPool4(IN p_start_address INT UNSIGNED, IN p_end_address INT UNSIGNED,
                                    IN p_subnet_id INT UNSIGNED, IN p_recreate TINYINT)
BEGIN
    DECLARE piece_first BIGINT;
    DECLARE piece_last BIGINT;
    DECLARE msg VARCHAR(512);
    IF p_start_address = 0 OR p_start_address > p_end_address THEN
        SET msg = CONCAT('Invalid range: ', INET_NTOA(p_start_address), ' - ', INET_NTOA(p_end_address));
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = msg;
    END IF;
    IF p_recreate = 1 THEN
        INSERT INTO flq_pool4 (start_address, end_address, subnet_id)
            VALUES (p_start_address, p_end_address, p_subnet_id)
            ON DUPLICATE KEY UPDATE start_address = start_address;
    ELSE
        INSERT INTO flq_pool4 (start_address, end_address, subnet_id)
            VALUES (p_start_address, p_end_address, p_subnet_id);
    END IF;
    DELETE FROM free_lease4 WHERE address BETWEEN p_start_address AND p_end_address;
    CALL setLoopLimit();
    SET piece_first = p_start_address;
    WHILE piece_first <= p_end_address DO
        SET piece_last = LEAST(p_end_address, piece_first + @kea_recursion_limit - 1);
        INSERT INTO free_lease4 (address)
            WITH RECURSIVE candidate (a) AS (
                SELECT piece_first UNION ALL SELECT a + 1 FROM candidate WHERE a < piece_last)
            SELECT c.a FROM candidate AS c LEFT JOIN lease4 AS l ON l.address = c.a
             WHERE l.address IS NULL OR l.state = 2;
        SET piece_first = piece_last + 1;
    END WHILE;
    UPDATE flq_pool4 SET modification_ts = NOW()
     WHERE start_address = p_start_address AND end_address = p_end_address;
END
$$
-- The next free address of the pool after the one it last gave, going
-- round to its start; 0 when the pool is unknown or nothing is free.
CREATE FUNCTION sflqPickFreeLease4(alloc_start_address INT UNSIGNED, alloc_end_address INT UNSIGNED)
RETURNS INT UNSIGNED READS SQL DATA
BEGIN
    DECLARE the_pool BIGINT DEFAULT NULL;
    DECLARE last_given BIGINT;
    DECLARE picked INT UNSIGNED DEFAULT NULL;
    SELECT p.id, p.last_returned_address INTO the_pool, last_given FROM flq_pool4 AS p
     WHERE p.start_address = alloc_start_address AND p.end_address = alloc_end_address;
    IF the_pool IS NULL THEN
        RETURN 0;
    END IF;
    IF last_given IS NULL OR last_given < alloc_start_address OR last_given >= alloc_end_address THEN
        SET last_given = alloc_start_address - 1;
    END IF;
    SET picked = (SELECT MIN(f.address) FROM free_lease4 AS f
                   WHERE f.address > last_given AND f.address <= alloc_end_address);
    IF picked IS NULL THEN
        SET picked = (SELECT MIN(f.address) FROM free_lease4 AS f
                       WHERE f.address >= alloc_start_address AND f.address <= last_given);
    END IF;
    IF picked IS NULL THEN
        RETURN 0;
    END IF;
    UPDATE flq_pool4 SET last_returned_address = picked WHERE id = the_pool;
    RETURN picked;
END
$$
-- The IPv6 pool: addresses or prefixes of p_delegated_len from start to
-- end. A pool already there with another prefix length is made again.
CREATE PROCEDURE sflqCreateFlqPool6(IN p_start_address VARCHAR(45), IN p_end_address VARCHAR(45),
                                    IN p_lease_type TINYINT UNSIGNED, IN p_delegated_len TINYINT UNSIGNED,
                                    IN p_subnet_id INT UNSIGNED, IN p_recreate TINYINT)
BEGIN
    DECLARE first_bin BINARY(16) DEFAULT INET6_ATON(p_start_address);
    DECLARE last_bin BINARY(16) DEFAULT INET6_ATON(p_end_address);
    DECLARE next_bin BINARY(16);
    DECLARE msg VARCHAR(512);
    DECLARE remake TINYINT DEFAULT p_recreate = 1;
    IF p_start_address = '::' OR first_bin > last_bin THEN
        SET msg = CONCAT('Invalid range: ', p_start_address, ' - ', p_end_address);
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = msg;
    END IF;
    IF p_delegated_len < 1 OR p_delegated_len > 128 THEN
        SET msg = CONCAT('Invalid p_delegated_len: ', p_delegated_len);
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = msg;
    END IF;
    IF NOT remake THEN
        SET remake = EXISTS (SELECT 1 FROM flq_pool6 AS p
                              WHERE p.start_address = p_start_address AND p.end_address = p_end_address
                                AND p.delegated_len <> p_delegated_len);
    END IF;
    IF remake THEN
        INSERT INTO flq_pool6 (start_address, end_address, lease_type, delegated_len, subnet_id)
            VALUES (p_start_address, p_end_address, p_lease_type, p_delegated_len, p_subnet_id)
            ON DUPLICATE KEY UPDATE lease_type = p_lease_type, delegated_len = p_delegated_len,
                                    subnet_id = p_subnet_id;
    ELSE
        INSERT INTO flq_pool6 (start_address, end_address, lease_type, delegated_len, subnet_id)
            VALUES (p_start_address, p_end_address, p_lease_type, p_delegated_len, p_subnet_id);
    END IF;
    DELETE FROM free_lease6 WHERE bin_address BETWEEN first_bin AND last_bin;
    SET next_bin = first_bin;
    walk: WHILE next_bin <= last_bin DO
        IF NOT EXISTS (SELECT 1 FROM lease6 AS l WHERE l.address = next_bin AND l.state <> 2) THEN
            INSERT INTO free_lease6 (address, bin_address) VALUES (INET6_NTOA(next_bin), next_bin);
        END IF;
        IF next_bin = UNHEX('FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF') THEN
            LEAVE walk;
        END IF;
        SET next_bin = incrementV6Prefix(next_bin, p_delegated_len);
        IF next_bin = UNHEX('00000000000000000000000000000000') THEN
            LEAVE walk;
        END IF;
    END WHILE walk;
    UPDATE flq_pool6 SET modification_ts = NOW()
     WHERE start_address = p_start_address AND end_address = p_end_address;
END
$$
-- As sflqPickFreeLease4, in address (byte) order; '::' when the pool is
-- unknown or nothing is free.
CREATE FUNCTION sflqPickFreeLease6(alloc_start_address VARCHAR(45), alloc_end_address VARCHAR(45))
RETURNS VARCHAR(45) READS SQL DATA
BEGIN
    DECLARE the_pool BIGINT DEFAULT NULL;
    DECLARE last_given VARCHAR(45);
    DECLARE first_bin BINARY(16) DEFAULT INET6_ATON(alloc_start_address);
    DECLARE last_bin BINARY(16) DEFAULT INET6_ATON(alloc_end_address);
    DECLARE after_bin BINARY(16);
    DECLARE picked VARCHAR(45) DEFAULT NULL;
    SELECT p.id, p.last_returned_address INTO the_pool, last_given FROM flq_pool6 AS p
     WHERE p.start_address = alloc_start_address AND p.end_address = alloc_end_address;
    IF the_pool IS NULL THEN
        RETURN '::';
    END IF;
    SET after_bin = INET6_ATON(last_given);
    IF after_bin IS NULL OR after_bin < first_bin OR after_bin >= last_bin THEN
        -- Nothing given yet in the range: start at its first address.
        SET picked = (SELECT f.address FROM free_lease6 AS f
                       WHERE f.bin_address >= first_bin AND f.bin_address <= last_bin
                       ORDER BY f.bin_address LIMIT 1);
    ELSE
        SET picked = (SELECT f.address FROM free_lease6 AS f
                       WHERE f.bin_address > after_bin AND f.bin_address <= last_bin
                       ORDER BY f.bin_address LIMIT 1);
        IF picked IS NULL THEN
            SET picked = (SELECT f.address FROM free_lease6 AS f
                           WHERE f.bin_address >= first_bin AND f.bin_address <= after_bin
                           ORDER BY f.bin_address LIMIT 1);
        END IF;
    END IF;
    IF picked IS NULL THEN
        RETURN '::';
    END IF;
    UPDATE flq_pool6 SET last_returned_address = picked WHERE id = the_pool;
    RETURN picked;
END
$$
-- Lease writes that keep the free list: a lease written reclaimed (state
-- 2) or deleted frees its address, any other takes it. Each returns the
-- rows it wrote; update and delete match the address and the expiry
-- read, as Kea's own statements do.
CREATE FUNCTION sflqInsertLease4(p_address INT UNSIGNED, p_hwaddr VARBINARY(20), p_client_id VARBINARY(255),
                                 p_valid_lifetime INT UNSIGNED, p_expire TIMESTAMP, p_subnet_id INT UNSIGNED,
                                 p_fqdn_fwd TINYINT(1), p_fqdn_rev TINYINT(1), p_hostname VARCHAR(255),
                                 p_state INT UNSIGNED, p_user_context TEXT, p_relay_id VARBINARY(255),
                                 p_remote_id VARBINARY(255), p_pool_id INT UNSIGNED)
RETURNS INT READS SQL DATA
BEGIN
    DECLARE written INT;
    INSERT INTO lease4 (address, hwaddr, client_id, valid_lifetime, expire, subnet_id, fqdn_fwd, fqdn_rev,
                        hostname, state, user_context, relay_id, remote_id, pool_id)
        VALUES (p_address, p_hwaddr, p_client_id, p_valid_lifetime, p_expire, p_subnet_id, p_fqdn_fwd,
                p_fqdn_rev, p_hostname, p_state, p_user_context, p_relay_id, p_remote_id, p_pool_id);
    SET written = ROW_COUNT();
    IF written > 0 THEN
        IF p_state = 2 THEN
            INSERT INTO free_lease4 (address) VALUES (p_address)
                ON DUPLICATE KEY UPDATE address = VALUES(address);
        ELSE
            DELETE FROM free_lease4 WHERE address = p_address;
        END IF;
    END IF;
    RETURN written;
END
$$
CREATE FUNCTION sflqUpdateLease4(p_address INT UNSIGNED, p_hwaddr VARBINARY(20), p_client_id VARBINARY(255),
                                 p_valid_lifetime INT UNSIGNED, p_expire TIMESTAMP, p_subnet_id INT UNSIGNED,
                                 p_fqdn_fwd TINYINT(1), p_fqdn_rev TINYINT(1), p_hostname VARCHAR(255),
                                 p_state INT UNSIGNED, p_user_context TEXT, p_relay_id VARBINARY(255),
                                 p_remote_id VARBINARY(255), p_pool_id INT UNSIGNED,
                                 p_where_address INT UNSIGNED, p_where_expire TIMESTAMP)
RETURNS INT READS SQL DATA
BEGIN
    DECLARE written INT;
    UPDATE lease4 SET address = p_address, hwaddr = p_hwaddr, client_id = p_client_id,
                      valid_lifetime = p_valid_lifetime, expire = p_expire, subnet_id = p_subnet_id,
                      fqdn_fwd = p_fqdn_fwd, fqdn_rev = p_fqdn_rev, hostname = p_hostname, state = p_state,
                      user_context = p_user_context, relay_id = p_relay_id, remote_id = p_remote_id,
                      pool_id = p_pool_id
     WHERE address = p_where_address AND expire = p_where_expire;
    SET written = ROW_COUNT();
    IF written > 0 THEN
        IF p_state = 2 THEN
            INSERT INTO free_lease4 (address) VALUES (p_address)
                ON DUPLICATE KEY UPDATE address = VALUES(address);
        ELSE
            DELETE FROM free_lease4 WHERE address = p_address;
        END IF;
    END IF;
    RETURN written;
END
$$
CREATE FUNCTION sflqDeleteLease4(p_address INT UNSIGNED, p_expire TIMESTAMP)
RETURNS INT READS SQL DATA
BEGIN
    DECLARE written INT;
    DELETE FROM lease4 WHERE address = p_address AND expire = p_expire;
    SET written = ROW_COUNT();
    IF written > 0 THEN
        INSERT INTO free_lease4 (address) VALUES (p_address)
            ON DUPLICATE KEY UPDATE address = VALUES(address);
    END IF;
    RETURN written;
END
$$
CREATE FUNCTION sflqInsertLease6(p_address BINARY(16), p_duid VARBINARY(128), p_valid_lifetime INT UNSIGNED,
                                 p_expire TIMESTAMP, p_subnet_id INT UNSIGNED, p_pref_lifetime INT UNSIGNED,
                                 p_lease_type TINYINT, p_iaid INT UNSIGNED, p_prefix_len TINYINT UNSIGNED,
                                 p_fqdn_fwd TINYINT(1), p_fqdn_rev TINYINT(1), p_hostname VARCHAR(255),
                                 p_hwaddr VARBINARY(20), p_hwtype SMALLINT UNSIGNED,
                                 p_hwaddr_source INT UNSIGNED, p_state INT UNSIGNED, p_user_context TEXT,
                                 p_pool_id INT UNSIGNED)
RETURNS INT READS SQL DATA
BEGIN
    DECLARE written INT;
    INSERT INTO lease6 (address, duid, valid_lifetime, expire, subnet_id, pref_lifetime, lease_type, iaid,
                        prefix_len, fqdn_fwd, fqdn_rev, hostname, hwaddr, hwtype, hwaddr_source, state,
                        user_context, pool_id)
        VALUES (p_address, p_duid, p_valid_lifetime, p_expire, p_subnet_id, p_pref_lifetime, p_lease_type,
                p_iaid, p_prefix_len, p_fqdn_fwd, p_fqdn_rev, p_hostname, p_hwaddr, p_hwtype,
                p_hwaddr_source, p_state, p_user_context, p_pool_id);
    SET written = ROW_COUNT();
    IF written > 0 THEN
        IF p_state = 2 THEN
            INSERT INTO free_lease6 (address, bin_address) VALUES (INET6_NTOA(p_address), p_address)
                ON DUPLICATE KEY UPDATE bin_address = VALUES(bin_address);
        ELSE
            DELETE FROM free_lease6 WHERE bin_address = p_address;
        END IF;
    END IF;
    RETURN written;
END
$$
CREATE FUNCTION sflqUpdateLease6(p_address BINARY(16), p_duid VARBINARY(128), p_valid_lifetime INT UNSIGNED,
                                 p_expire TIMESTAMP, p_subnet_id INT UNSIGNED, p_pref_lifetime INT UNSIGNED,
                                 p_lease_type TINYINT, p_iaid INT UNSIGNED, p_prefix_len TINYINT UNSIGNED,
                                 p_fqdn_fwd TINYINT(1), p_fqdn_rev TINYINT(1), p_hostname VARCHAR(255),
                                 p_hwaddr VARBINARY(20), p_hwtype SMALLINT UNSIGNED,
                                 p_hwaddr_source INT UNSIGNED, p_state INT UNSIGNED, p_user_context TEXT,
                                 p_pool_id INT UNSIGNED, p_where_address BINARY(16), p_where_expire TIMESTAMP)
RETURNS INT READS SQL DATA
BEGIN
    DECLARE written INT;
    UPDATE lease6 SET address = p_address, duid = p_duid, valid_lifetime = p_valid_lifetime,
                      expire = p_expire, subnet_id = p_subnet_id, pref_lifetime = p_pref_lifetime,
                      lease_type = p_lease_type, iaid = p_iaid, prefix_len = p_prefix_len,
                      fqdn_fwd = p_fqdn_fwd, fqdn_rev = p_fqdn_rev, hostname = p_hostname,
                      hwaddr = p_hwaddr, hwtype = p_hwtype, hwaddr_source = p_hwaddr_source,
                      state = p_state, user_context = p_user_context, pool_id = p_pool_id
     WHERE address = p_where_address AND expire = p_where_expire;
    SET written = ROW_COUNT();
    IF written > 0 THEN
        IF p_state = 2 THEN
            INSERT INTO free_lease6 (address, bin_address) VALUES (INET6_NTOA(p_address), p_address)
                ON DUPLICATE KEY UPDATE bin_address = VALUES(bin_address);
        ELSE
            DELETE FROM free_lease6 WHERE bin_address = p_address;
        END IF;
    END IF;
    RETURN written;
END
$$
CREATE FUNCTION sflqDeleteLease6(p_address BINARY(16), p_expire TIMESTAMP)
RETURNS INT READS SQL DATA
BEGIN
    DECLARE written INT;
    DELETE FROM lease6 WHERE address = p_address AND expire = p_expire;
    SET written = ROW_COUNT();
    IF written > 0 THEN
        INSERT INTO free_lease6 (address, bin_address) VALUES (INET6_NTOA(p_address), p_address)
            ON DUPLICATE KEY UPDATE bin_address = VALUES(bin_address);
    END IF;
    RETURN written;
END
$$
UPDATE schema_version SET version = 35, minor = 0
$$
