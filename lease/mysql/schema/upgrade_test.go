package schema

import (
	"database/sql"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/leased/leased/internal/mysqltest"
	"github.com/leased/leased/lease/mysql"
)

// seed14 are rows in a 14.0 database that the upgrade must carry over or
// convert: leases of each state, with and without client classes and
// pools to count; IPv6 leases (an IA_TA one, a one-byte DUID); a host
// with an IPv6 reservation; configuration-backend rows whose names and
// forms changed.
var seed14 = []string{
	`SET @disable_audit = 1`,
	`INSERT INTO lease4 (address, hwaddr, client_id, valid_lifetime, expire, subnet_id, fqdn_fwd, fqdn_rev, hostname, state, user_context) VALUES
	 (3221226034, UNHEX('020000000001'), UNHEX('01020000000001'), 600, '2030-01-01 00:00:00', 1, 0, 0, '', 0, NULL),
	 (3221226035, UNHEX('020000000002'), NULL, 600, '2030-01-01 00:00:00', 1, 0, 0, 'b.example.org.', 0, '{"ISC": {"client-classes": ["foo"]}}'),
	 (3221226036, UNHEX(''), NULL, 600, '2030-01-01 00:00:00', 1, 0, 0, '', 1, NULL),
	 (3221226037, UNHEX('020000000004'), NULL, 600, '2020-01-01 00:00:00', 2, 0, 0, '', 2, NULL)`,
	`INSERT INTO lease6 (address, duid, valid_lifetime, expire, subnet_id, pref_lifetime, lease_type, iaid, prefix_len, fqdn_fwd, fqdn_rev, hostname, state, user_context) VALUES
	 ('2001:db8::1', UNHEX('00'), 600, '2030-01-01 00:00:00', 1, 300, 0, 1, 128, 0, 0, '', 0, NULL),
	 ('2001:db8::2', UNHEX('000102'), 600, '2030-01-01 00:00:00', 1, 300, 1, 2, 128, 0, 0, '', 0, NULL),
	 ('2001:db8:1::', UNHEX('000103'), 600, '2030-01-01 00:00:00', 1, 300, 2, 3, 64, 0, 0, '', 1, NULL)`,
	`INSERT INTO hosts (dhcp_identifier, dhcp_identifier_type, dhcp4_subnet_id, dhcp6_subnet_id, ipv4_address, hostname)
	 VALUES (UNHEX('020000000009'), 0, 1, 1, 3221226040, 'h.example.org')`,
	`INSERT INTO ipv6_reservations (address, prefix_len, type, host_id) SELECT '2001:db8::9', 128, 0, host_id FROM hosts`,
	`INSERT INTO dhcp4_options (code, value, space, persistent, host_id, scope_id) SELECT 6, UNHEX('c0000201'), 'dhcp4', 0, host_id, 3 FROM hosts`,
	`INSERT INTO dhcp4_global_parameter (name, value, parameter_type, modification_ts) VALUES ('reservation-mode', 'global', 4, NOW()),
	 ('ddns-use-conflict-resolution', '1', 2, NOW()), ('dhcp-ddns.qualifying-suffix', 'x', 4, NOW()), ('valid-lifetime', '600', 0, NOW())`,
	`INSERT INTO dhcp4_shared_network (name, client_class, require_client_classes, modification_ts) VALUES ('net1', 'foo', '[ "bar" ]', NOW()), ('net2', NULL, NULL, NOW())`,
	`INSERT INTO dhcp4_option_def (code, name, space, type, is_array, encapsulate, record_types, modification_ts) VALUES
	 (200, 'rec', 'dhcp4', 1, 0, '', '1, 2', NOW()), (201, 'plain', 'dhcp4', 8, 0, '', NULL, NOW())`,
}

// factQueries describe a schema as the facts below are written: columns
// with their types, NULL-ness and defaults; indexes; foreign keys;
// triggers; routines with their signatures and data access.
var factQueries = []string{
	`SELECT CONCAT_WS(' ', 'table', TABLE_NAME) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()`,
	`SELECT TRIM(CONCAT_WS(' ', 'column', CONCAT(TABLE_NAME, '.', COLUMN_NAME), COLUMN_TYPE,
		IF(IS_NULLABLE = 'YES', 'NULL', 'NOT NULL'), CONCAT('DEFAULT ', COALESCE(COLUMN_DEFAULT, '(none)')), EXTRA))
	 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()`,
	`SELECT CONCAT_WS(' ', 'index', CONCAT(TABLE_NAME, '.', INDEX_NAME), IF(MIN(NON_UNIQUE) = 0, 'unique', 'non-unique'),
		GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX SEPARATOR ', '))
	 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() GROUP BY TABLE_NAME, INDEX_NAME`,
	`SELECT CONCAT_WS(' ', 'foreign key', CONCAT(k.TABLE_NAME, '.', k.CONSTRAINT_NAME), k.COLUMN_NAME, 'references',
		CONCAT(k.REFERENCED_TABLE_NAME, '.', k.REFERENCED_COLUMN_NAME), 'update', r.UPDATE_RULE, 'delete', r.DELETE_RULE)
	 FROM information_schema.KEY_COLUMN_USAGE AS k JOIN information_schema.REFERENTIAL_CONSTRAINTS AS r
	   ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME
	 WHERE k.CONSTRAINT_SCHEMA = DATABASE()`,
	`SELECT CONCAT_WS(' ', 'trigger', TRIGGER_NAME, 'on', EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION)
	 FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()`,
	`SELECT CONCAT(r.ROUTINE_TYPE, ' ', r.ROUTINE_NAME, '(',
		COALESCE((SELECT GROUP_CONCAT(CONCAT_WS(' ', IF(r.ROUTINE_TYPE = 'PROCEDURE', p.PARAMETER_MODE, NULL), p.PARAMETER_NAME, p.DTD_IDENTIFIER)
		                ORDER BY p.ORDINAL_POSITION SEPARATOR ', ')
		          FROM information_schema.PARAMETERS AS p
		         WHERE p.SPECIFIC_SCHEMA = r.ROUTINE_SCHEMA AND p.SPECIFIC_NAME = r.ROUTINE_NAME AND p.ORDINAL_POSITION > 0), ''),
		')', COALESCE(CONCAT(' RETURNS ', r.DTD_IDENTIFIER), ''), IF(r.IS_DETERMINISTIC = 'YES', ' DETERMINISTIC', ''),
		' ', r.SQL_DATA_ACCESS)
	 FROM information_schema.ROUTINES AS r WHERE r.ROUTINE_SCHEMA = DATABASE()`,
}

func facts(t *testing.T, db *sql.DB) []string {
	t.Helper()
	var lines []string
	for _, q := range factQueries {
		lines = append(lines, queryLines(t, db, q)...)
	}
	slices.Sort(lines)
	return lines
}

// changes14to35 is what Kea's upgrade scripts 15.0 to 35.0 change in a
// 14.0 database, as facts of factQueries: lines that go, lines that come.
var changes14to35 = struct{ gone, added []string }{
	gone: []string{
		"column dhcp4_client_class.only_if_required tinyint(4) NOT NULL DEFAULT 0",
		"column dhcp4_pool.client_class varchar(128) NULL DEFAULT NULL",
		"column dhcp4_pool.require_client_classes longtext NULL DEFAULT NULL",
		"column dhcp4_shared_network.client_class varchar(128) NULL DEFAULT NULL",
		"column dhcp4_shared_network.require_client_classes longtext NULL DEFAULT NULL",
		"column dhcp4_subnet.client_class varchar(128) NULL DEFAULT NULL",
		"column dhcp4_subnet.require_client_classes longtext NULL DEFAULT NULL",
		"column dhcp6_client_class.only_if_required tinyint(4) NOT NULL DEFAULT 0",
		"column dhcp6_pd_pool.client_class varchar(128) NULL DEFAULT NULL",
		"column dhcp6_pd_pool.require_client_classes longtext NULL DEFAULT NULL",
		"column dhcp6_pool.client_class varchar(128) NULL DEFAULT NULL",
		"column dhcp6_pool.require_client_classes longtext NULL DEFAULT NULL",
		"column dhcp6_shared_network.client_class varchar(128) NULL DEFAULT NULL",
		"column dhcp6_shared_network.require_client_classes longtext NULL DEFAULT NULL",
		"column dhcp6_subnet.client_class varchar(128) NULL DEFAULT NULL",
		"column dhcp6_subnet.require_client_classes longtext NULL DEFAULT NULL",
		"column hosts.dhcp_identifier varbinary(128) NOT NULL DEFAULT (none)",
		"column ipv6_reservations.address varchar(39) NOT NULL DEFAULT (none)",
		"column lease4.client_id varbinary(128) NULL DEFAULT NULL",
		"column lease6.address varchar(39) NOT NULL DEFAULT (none)",
		"column lease6.duid varbinary(128) NULL DEFAULT NULL",
		"FUNCTION isJsonSupported() RETURNS tinyint(1) DETERMINISTIC CONTAINS SQL",
		"PROCEDURE lease4Upload(IN address varchar(15), IN hwaddr varchar(20), IN client_id varchar(128), IN valid_lifetime int(10) unsigned, IN expire bigint(20) unsigned, IN subnet_id int(10) unsigned, IN fqdn_fwd tinyint(4), IN fqdn_rev tinyint(4), IN hostname varchar(255), IN state int(10) unsigned, IN user_context text) CONTAINS SQL",
		"PROCEDURE lease6Upload(IN address varchar(39), IN duid varchar(128), IN valid_lifetime int(10) unsigned, IN expire bigint(20) unsigned, IN subnet_id int(10) unsigned, IN pref_lifetime int(10) unsigned, IN lease_type tinyint(4), IN iaid int(10) unsigned, IN prefix_len tinyint(3) unsigned, IN fqdn_fwd tinyint(4), IN fqdn_rev tinyint(4), IN hostname varchar(255), IN hwaddr varchar(64), IN state int(10) unsigned, IN user_context text, IN hwtype smallint(6), IN hwaddr_source int(10) unsigned) CONTAINS SQL",
	},
	added: []string{
		// 15.0
		"column dhcp4_options.cancelled tinyint(1) NOT NULL DEFAULT 0",
		"column dhcp6_options.cancelled tinyint(1) NOT NULL DEFAULT 0",
		"column dhcp4_shared_network.offer_lifetime int(10) NULL DEFAULT NULL",
		"column dhcp4_subnet.offer_lifetime int(10) NULL DEFAULT NULL",
		"column dhcp4_client_class.offer_lifetime int(10) NULL DEFAULT NULL",
		// 16.0 and 18.0
		"column lease4.relay_id varbinary(255) NULL DEFAULT NULL",
		"column lease4.remote_id varbinary(255) NULL DEFAULT NULL",
		"index lease4.lease4_by_relay_id non-unique relay_id",
		"index lease4.lease4_by_remote_id non-unique remote_id",
		// 17.0
		"column dhcp4_subnet.allocator text NULL DEFAULT NULL",
		"column dhcp4_shared_network.allocator text NULL DEFAULT NULL",
		"column dhcp6_subnet.allocator text NULL DEFAULT NULL",
		"column dhcp6_subnet.pd_allocator text NULL DEFAULT NULL",
		"column dhcp6_shared_network.allocator text NULL DEFAULT NULL",
		"column dhcp6_shared_network.pd_allocator text NULL DEFAULT NULL",
		// 18.0
		"column lease4.client_id varbinary(255) NULL DEFAULT NULL",
		"column hosts.dhcp_identifier varbinary(255) NOT NULL DEFAULT (none)",
		"column lease6.duid varbinary(130) NULL DEFAULT NULL",
		"column lease4.pool_id int(10) unsigned NOT NULL DEFAULT 0",
		"column lease6.pool_id int(10) unsigned NOT NULL DEFAULT 0",
		"table lease4_pool_stat",
		"column lease4_pool_stat.subnet_id int(10) unsigned NOT NULL DEFAULT (none)",
		"column lease4_pool_stat.pool_id int(10) unsigned NOT NULL DEFAULT (none)",
		"column lease4_pool_stat.state int(10) unsigned NOT NULL DEFAULT (none)",
		"column lease4_pool_stat.leases bigint(20) NULL DEFAULT NULL",
		"index lease4_pool_stat.PRIMARY unique subnet_id, pool_id, state",
		"table lease6_pool_stat",
		"column lease6_pool_stat.subnet_id int(10) unsigned NOT NULL DEFAULT (none)",
		"column lease6_pool_stat.pool_id int(10) unsigned NOT NULL DEFAULT (none)",
		"column lease6_pool_stat.lease_type int(10) unsigned NOT NULL DEFAULT (none)",
		"column lease6_pool_stat.state int(10) unsigned NOT NULL DEFAULT (none)",
		"column lease6_pool_stat.leases bigint(20) NULL DEFAULT NULL",
		"index lease6_pool_stat.PRIMARY unique subnet_id, pool_id, lease_type, state",
		"PROCEDURE lease4_AINS_lease4_pool_stat(IN new_state tinyint(4), IN new_subnet_id int(10) unsigned, IN new_pool_id int(10) unsigned) CONTAINS SQL",
		"PROCEDURE lease4_AUPD_lease4_pool_stat(IN old_state tinyint(4), IN old_subnet_id int(10) unsigned, IN old_pool_id int(10) unsigned, IN new_state tinyint(4), IN new_subnet_id int(10) unsigned, IN new_pool_id int(10) unsigned) CONTAINS SQL",
		"PROCEDURE lease4_ADEL_lease4_pool_stat(IN old_state tinyint(4), IN old_subnet_id int(10) unsigned, IN old_pool_id int(10) unsigned) CONTAINS SQL",
		"PROCEDURE lease6_AINS_lease6_pool_stat(IN new_state tinyint(4), IN new_subnet_id int(10) unsigned, IN new_pool_id int(10) unsigned, IN new_lease_type tinyint(4)) CONTAINS SQL",
		"PROCEDURE lease6_AUPD_lease6_pool_stat(IN old_state tinyint(4), IN old_subnet_id int(10) unsigned, IN old_pool_id int(10) unsigned, IN old_lease_type tinyint(4), IN new_state tinyint(4), IN new_subnet_id int(10) unsigned, IN new_pool_id int(10) unsigned, IN new_lease_type tinyint(4)) CONTAINS SQL",
		"PROCEDURE lease6_ADEL_lease6_pool_stat(IN old_state tinyint(4), IN old_subnet_id int(10) unsigned, IN old_pool_id int(10) unsigned, IN old_lease_type tinyint(4)) CONTAINS SQL",
		"PROCEDURE lease4Upload(IN address varchar(15), IN hwaddr varchar(20), IN client_id varchar(255), IN valid_lifetime int(10) unsigned, IN expire bigint(20) unsigned, IN subnet_id int(10) unsigned, IN fqdn_fwd tinyint(4), IN fqdn_rev tinyint(4), IN hostname varchar(255), IN state int(10) unsigned, IN user_context text, IN pool_id int(10) unsigned) CONTAINS SQL",
		"PROCEDURE lease6Upload(IN address varchar(39), IN duid varchar(130), IN valid_lifetime int(10) unsigned, IN expire bigint(20) unsigned, IN subnet_id int(10) unsigned, IN pref_lifetime int(10) unsigned, IN lease_type tinyint(4), IN iaid int(10) unsigned, IN prefix_len tinyint(3) unsigned, IN fqdn_fwd tinyint(4), IN fqdn_rev tinyint(4), IN hostname varchar(255), IN hwaddr varchar(64), IN state int(10) unsigned, IN user_context text, IN hwtype smallint(6), IN hwaddr_source int(10) unsigned, IN pool_id int(10) unsigned) CONTAINS SQL",
		"table lease6_relay_id",
		"column lease6_relay_id.extended_info_id int(10) unsigned NOT NULL DEFAULT (none) auto_increment",
		"column lease6_relay_id.relay_id varbinary(130) NOT NULL DEFAULT (none)",
		"column lease6_relay_id.lease_addr binary(16) NOT NULL DEFAULT (none)",
		"index lease6_relay_id.PRIMARY unique extended_info_id",
		"index lease6_relay_id.key_lease6_relay_id_by_id non-unique relay_id, lease_addr",
		"index lease6_relay_id.key_lease6_relay_id_by_address non-unique lease_addr",
		"table lease6_remote_id",
		"column lease6_remote_id.extended_info_id int(10) unsigned NOT NULL DEFAULT (none) auto_increment",
		"column lease6_remote_id.remote_id varbinary(255) NOT NULL DEFAULT (none)",
		"column lease6_remote_id.lease_addr binary(16) NOT NULL DEFAULT (none)",
		"index lease6_remote_id.PRIMARY unique extended_info_id",
		"index lease6_remote_id.key_lease6_remote_id_by_id non-unique remote_id, lease_addr",
		"index lease6_remote_id.key_lease6_remote_id_by_address non-unique lease_addr",
		// 19.0
		"column lease6.address binary(16) NOT NULL DEFAULT (none)",
		"column ipv6_reservations.address binary(16) NOT NULL DEFAULT (none)",
		// 20.0
		"foreign key lease6_relay_id.fk_lease6_relay_id_addr lease_addr references lease6.address update NO ACTION delete CASCADE",
		"foreign key lease6_remote_id.fk_lease6_remote_id_addr lease_addr references lease6.address update NO ACTION delete CASCADE",
		// 21.0, 32.0, 33.0
		"index lease6.lease6_by_subnet_id_address non-unique subnet_id, address",
		"index lease6.lease6_by_hwaddr non-unique hwaddr",
		"index lease4.lease4_by_state non-unique state, subnet_id",
		"index lease6.lease6_by_state non-unique state, subnet_id",
		// 24.0
		"table option_def_data_type",
		"column option_def_data_type.id tinyint(3) unsigned NOT NULL DEFAULT (none)",
		"column option_def_data_type.name varchar(32) NOT NULL DEFAULT (none)",
		"index option_def_data_type.PRIMARY unique id",
		"foreign key dhcp4_option_def.fk_option_def_data_type4 type references option_def_data_type.id update RESTRICT delete RESTRICT",
		"foreign key dhcp6_option_def.fk_option_def_data_type6 type references option_def_data_type.id update RESTRICT delete RESTRICT",
		"index dhcp4_option_def.fk_option_def_data_type4 non-unique type",
		"index dhcp6_option_def.fk_option_def_data_type6 non-unique type",
		// 25.0
		"column ipv6_reservations.excluded_prefix binary(16) NULL DEFAULT NULL",
		"column ipv6_reservations.excluded_prefix_len tinyint(3) unsigned NOT NULL DEFAULT 0",
		// 26.0 and 31.0
		"column dhcp4_options.client_classes longtext NOT NULL DEFAULT (none)",
		"column dhcp6_options.client_classes longtext NOT NULL DEFAULT (none)",
		"column dhcp4_shared_network.evaluate_additional_classes longtext NULL DEFAULT NULL",
		"column dhcp4_subnet.evaluate_additional_classes longtext NULL DEFAULT NULL",
		"column dhcp4_pool.evaluate_additional_classes longtext NULL DEFAULT NULL",
		"column dhcp6_shared_network.evaluate_additional_classes longtext NULL DEFAULT NULL",
		"column dhcp6_subnet.evaluate_additional_classes longtext NULL DEFAULT NULL",
		"column dhcp6_pool.evaluate_additional_classes longtext NULL DEFAULT NULL",
		"column dhcp6_pd_pool.evaluate_additional_classes longtext NULL DEFAULT NULL",
		"column dhcp4_client_class.only_in_additional_list tinyint(4) NOT NULL DEFAULT 0",
		"column dhcp6_client_class.only_in_additional_list tinyint(4) NOT NULL DEFAULT 0",
		// 27.0
		"column dhcp4_shared_network.client_classes longtext NULL DEFAULT NULL",
		"column dhcp4_subnet.client_classes longtext NULL DEFAULT NULL",
		"column dhcp4_pool.client_classes longtext NULL DEFAULT NULL",
		"column dhcp6_shared_network.client_classes longtext NULL DEFAULT NULL",
		"column dhcp6_subnet.client_classes longtext NULL DEFAULT NULL",
		"column dhcp6_pool.client_classes longtext NULL DEFAULT NULL",
		"column dhcp6_pd_pool.client_classes longtext NULL DEFAULT NULL",
		// 28.0
		"column dhcp4_shared_network.ddns_ttl_percent float NULL DEFAULT NULL",
		"column dhcp4_shared_network.ddns_ttl int(10) NULL DEFAULT NULL",
		"column dhcp4_shared_network.ddns_ttl_min int(10) NULL DEFAULT NULL",
		"column dhcp4_shared_network.ddns_ttl_max int(10) NULL DEFAULT NULL",
		"column dhcp4_subnet.ddns_ttl_percent float NULL DEFAULT NULL",
		"column dhcp4_subnet.ddns_ttl int(10) NULL DEFAULT NULL",
		"column dhcp4_subnet.ddns_ttl_min int(10) NULL DEFAULT NULL",
		"column dhcp4_subnet.ddns_ttl_max int(10) NULL DEFAULT NULL",
		"column dhcp6_shared_network.ddns_ttl_percent float NULL DEFAULT NULL",
		"column dhcp6_shared_network.ddns_ttl int(10) NULL DEFAULT NULL",
		"column dhcp6_shared_network.ddns_ttl_min int(10) NULL DEFAULT NULL",
		"column dhcp6_shared_network.ddns_ttl_max int(10) NULL DEFAULT NULL",
		"column dhcp6_subnet.ddns_ttl_percent float NULL DEFAULT NULL",
		"column dhcp6_subnet.ddns_ttl int(10) NULL DEFAULT NULL",
		"column dhcp6_subnet.ddns_ttl_min int(10) NULL DEFAULT NULL",
		"column dhcp6_subnet.ddns_ttl_max int(10) NULL DEFAULT NULL",
		// 34.0
		"table flq_pool4",
		"column flq_pool4.id bigint(20) unsigned NOT NULL DEFAULT (none) auto_increment",
		"column flq_pool4.start_address int(10) unsigned NOT NULL DEFAULT (none)",
		"column flq_pool4.end_address int(10) unsigned NOT NULL DEFAULT (none)",
		"column flq_pool4.last_returned_address int(10) unsigned NULL DEFAULT 0",
		"column flq_pool4.subnet_id int(10) unsigned NOT NULL DEFAULT (none)",
		"column flq_pool4.created_ts timestamp NULL DEFAULT current_timestamp()",
		"column flq_pool4.modification_ts timestamp NULL DEFAULT current_timestamp() on update current_timestamp()",
		"index flq_pool4.PRIMARY unique id",
		"index flq_pool4.flq_pool4_address_range unique start_address, end_address",
		"index flq_pool4.flq_pool4_by_subnet_id non-unique subnet_id",
		"table free_lease4",
		"column free_lease4.address int(10) unsigned NOT NULL DEFAULT (none)",
		"column free_lease4.modification_ts timestamp NULL DEFAULT current_timestamp() on update current_timestamp()",
		"index free_lease4.PRIMARY unique address",
		"table flq_pool6",
		"column flq_pool6.id bigint(20) unsigned NOT NULL DEFAULT (none) auto_increment",
		"column flq_pool6.start_address varchar(45) NOT NULL DEFAULT (none)",
		"column flq_pool6.end_address varchar(45) NOT NULL DEFAULT (none)",
		"column flq_pool6.lease_type tinyint(4) NULL DEFAULT NULL",
		"column flq_pool6.delegated_len tinyint(3) unsigned NULL DEFAULT NULL",
		"column flq_pool6.last_returned_address varchar(45) NULL DEFAULT '::'",
		"column flq_pool6.subnet_id int(10) unsigned NOT NULL DEFAULT (none)",
		"column flq_pool6.created_ts timestamp NULL DEFAULT current_timestamp()",
		"column flq_pool6.modification_ts timestamp NULL DEFAULT current_timestamp() on update current_timestamp()",
		"index flq_pool6.PRIMARY unique id",
		"index flq_pool6.start_address unique start_address, end_address",
		"index flq_pool6.flq_pool6_by_subnet_id non-unique subnet_id",
		"table free_lease6",
		"column free_lease6.address varchar(45) NOT NULL DEFAULT (none)",
		"column free_lease6.bin_address binary(16) NOT NULL DEFAULT (none)",
		"column free_lease6.modification_ts timestamp NULL DEFAULT current_timestamp() on update current_timestamp()",
		"index free_lease6.PRIMARY unique address",
		"index free_lease6.bin_address unique bin_address",
		"FUNCTION incrementV6Prefix(prefix binary(16), prefix_len int(10) unsigned) RETURNS binary(16) DETERMINISTIC CONTAINS SQL",
		"PROCEDURE setLoopLimit() CONTAINS SQL",
		"PROCEDURE sflqCreateFlqPool4(IN p_start_address int(10) unsigned, IN p_end_address int(10) unsigned, IN p_subnet_id int(10) unsigned, IN p_recreate tinyint(4)) CONTAINS SQL",
		"FUNCTION sflqPickFreeLease4(alloc_start_address int(10) unsigned, alloc_end_address int(10) unsigned) RETURNS int(10) unsigned READS SQL DATA",
		"PROCEDURE sflqCreateFlqPool6(IN p_start_address varchar(45), IN p_end_address varchar(45), IN p_lease_type tinyint(3) unsigned, IN p_delegated_len tinyint(3) unsigned, IN p_subnet_id int(10) unsigned, IN p_recreate tinyint(4)) CONTAINS SQL",
		"FUNCTION sflqPickFreeLease6(alloc_start_address varchar(45), alloc_end_address varchar(45)) RETURNS varchar(45) READS SQL DATA",
		"FUNCTION sflqInsertLease4(p_address int(10) unsigned, p_hwaddr varbinary(20), p_client_id varbinary(255), p_valid_lifetime int(10) unsigned, p_expire timestamp, p_subnet_id int(10) unsigned, p_fqdn_fwd tinyint(1), p_fqdn_rev tinyint(1), p_hostname varchar(255), p_state int(10) unsigned, p_user_context text, p_relay_id varbinary(255), p_remote_id varbinary(255), p_pool_id int(10) unsigned) RETURNS int(11) READS SQL DATA",
		"FUNCTION sflqUpdateLease4(p_address int(10) unsigned, p_hwaddr varbinary(20), p_client_id varbinary(255), p_valid_lifetime int(10) unsigned, p_expire timestamp, p_subnet_id int(10) unsigned, p_fqdn_fwd tinyint(1), p_fqdn_rev tinyint(1), p_hostname varchar(255), p_state int(10) unsigned, p_user_context text, p_relay_id varbinary(255), p_remote_id varbinary(255), p_pool_id int(10) unsigned, p_where_address int(10) unsigned, p_where_expire timestamp) RETURNS int(11) READS SQL DATA",
		"FUNCTION sflqDeleteLease4(p_address int(10) unsigned, p_expire timestamp) RETURNS int(11) READS SQL DATA",
		"FUNCTION sflqInsertLease6(p_address binary(16), p_duid varbinary(128), p_valid_lifetime int(10) unsigned, p_expire timestamp, p_subnet_id int(10) unsigned, p_pref_lifetime int(10) unsigned, p_lease_type tinyint(4), p_iaid int(10) unsigned, p_prefix_len tinyint(3) unsigned, p_fqdn_fwd tinyint(1), p_fqdn_rev tinyint(1), p_hostname varchar(255), p_hwaddr varbinary(20), p_hwtype smallint(5) unsigned, p_hwaddr_source int(10) unsigned, p_state int(10) unsigned, p_user_context text, p_pool_id int(10) unsigned) RETURNS int(11) READS SQL DATA",
		"FUNCTION sflqUpdateLease6(p_address binary(16), p_duid varbinary(128), p_valid_lifetime int(10) unsigned, p_expire timestamp, p_subnet_id int(10) unsigned, p_pref_lifetime int(10) unsigned, p_lease_type tinyint(4), p_iaid int(10) unsigned, p_prefix_len tinyint(3) unsigned, p_fqdn_fwd tinyint(1), p_fqdn_rev tinyint(1), p_hostname varchar(255), p_hwaddr varbinary(20), p_hwtype smallint(5) unsigned, p_hwaddr_source int(10) unsigned, p_state int(10) unsigned, p_user_context text, p_pool_id int(10) unsigned, p_where_address binary(16), p_where_expire timestamp) RETURNS int(11) READS SQL DATA",
		"FUNCTION sflqDeleteLease6(p_address binary(16), p_expire timestamp) RETURNS int(11) READS SQL DATA",
		// 35.0
		"foreign key flq_pool6.fk_flq_pool6_lease6_type lease_type references lease6_types.lease_type update RESTRICT delete RESTRICT",
		"index flq_pool6.fk_flq_pool6_lease6_type non-unique lease_type",
	},
}

// TestUpgrade takes kea-admin's 14.0, with rows, to 35.0: the version,
// the structure changed exactly as Kea's upgrades 15.0 to 35.0 change it,
// the rows kept and converted, the counts, and a schema the same as that
// of a database leased made and upgraded.
func TestUpgrade(t *testing.T) {
	s := mysqltest.Shared(t, mysqltest.Options{})
	ctx := t.Context()
	keaDB := s.NewDB(t)
	s.Admin(t, keaDB.Name, seed14...)
	kea := s.Open(t, keaDB.Name)
	before := facts(t, kea)
	conn := leasedConn(t, keaDB)
	from, err := Upgrade(ctx, conn)
	if err != nil || from != Kea22 {
		t.Fatalf("Upgrade = %v, %v; want from %v", from, err, Kea22)
	}
	if v, err := mysql.ReadVersion(ctx, conn); err != nil || v != Kea32 {
		t.Fatalf("after Upgrade the version is %v (%v), want %v", v, err, Kea32)
	}
	if from, err := Upgrade(ctx, conn); err != nil || from != Kea32 {
		t.Errorf("a second Upgrade = %v, %v; want %v and nothing done", from, err, Kea32)
	}

	after := facts(t, kea)
	gone, added := diff(before, after)
	want := changes14to35
	if g, a := diff(want.gone, gone); len(g)+len(a) > 0 {
		t.Errorf("lines the upgrade should have removed but kept:\n  %s\nremoved but should not have:\n  %s", strings.Join(g, "\n  "), strings.Join(a, "\n  "))
	}
	if g, a := diff(want.added, added); len(g)+len(a) > 0 {
		t.Errorf("lines the upgrade should have added but did not:\n  %s\nadded but not in Kea's 35.0:\n  %s", strings.Join(g, "\n  "), strings.Join(a, "\n  "))
	}

	for q, want := range map[string][]string{
		`SELECT CONCAT_WS(' ', address, HEX(client_id), relay_id IS NULL, remote_id IS NULL, pool_id, state) FROM lease4 ORDER BY address`: {
			"3221226034 01020000000001 1 1 0 0", "3221226035 1 1 0 0", "3221226036 1 1 0 1", "3221226037 1 1 0 2"},
		`SELECT CONCAT_WS(' ', subnet_id, pool_id, state, leases) FROM lease4_pool_stat ORDER BY 1`: {"1 0 0 2", "1 0 1 1"},
		`SELECT CONCAT_WS(' ', subnet_id, state, leases) FROM lease4_stat ORDER BY 1`:               {"1 0 2", "1 1 1"},
		`SELECT CONCAT_WS(' ', client_class, leases) FROM lease4_stat_by_client_class`:              {"foo 1"},
		`SELECT CONCAT_WS(' ', state, name) FROM lease_state ORDER BY state`: {
			"0 default", "1 declined", "2 expired-reclaimed", "3 released", "4 registered"},
		`SELECT CONCAT_WS(' ', INET6_NTOA(address), LENGTH(address), HEX(duid), lease_type) FROM lease6 ORDER BY address`: {
			"2001:db8::1 16 000000 0", "2001:db8::2 16 000102 0", "2001:db8:1:: 16 000103 2"},
		`SELECT CONCAT_WS(' ', lease_type, name) FROM lease6_types ORDER BY 1`:                                     {"0 IA_NA", "2 IA_PD"},
		`SELECT CONCAT_WS(' ', subnet_id, lease_type, state, leases) FROM lease6_stat WHERE leases > 0 ORDER BY 1`: {"1 0 0 2", "1 2 1 1"},
		`SELECT CONCAT_WS(' ', subnet_id, pool_id, lease_type, state, leases) FROM lease6_pool_stat ORDER BY 1`:    {"1 0 0 0 2", "1 0 2 1 1"},
		`SELECT CONCAT_WS(' ', INET6_NTOA(r.address), r.excluded_prefix IS NULL, r.excluded_prefix_len, HEX(h.dhcp_identifier))
		   FROM ipv6_reservations AS r JOIN hosts AS h USING (host_id)`: {"2001:db8::9 1 0 020000000009"},
		`SELECT CONCAT_WS(' ', code, cancelled, client_classes) FROM dhcp4_options`: {"6 0 [  ]"},
		`SELECT CONCAT_WS(' ', name, value, parameter_type) FROM dhcp4_global_parameter ORDER BY id`: {
			"reservations-global 1 2", "ddns-conflict-resolution-mode check-with-dhcid 4", "valid-lifetime 600 0"},
		`SELECT CONCAT_WS(' | ', name, COALESCE(client_classes, 'NULL'), COALESCE(evaluate_additional_classes, 'NULL')) FROM dhcp4_shared_network ORDER BY id`: {
			`net1 | [ "foo" ] | [ "bar" ]`, "net2 | NULL | NULL"},
		`SELECT CONCAT_WS(' ', name, type) FROM dhcp4_option_def ORDER BY id`:                        {"rec 254", "plain 8"},
		`SELECT CONCAT_WS(' ', id, name) FROM option_def_data_type WHERE id IN (3, 254) ORDER BY id`: {"3 int8", "254 record"},
		`SELECT COUNT(*) FROM option_def_data_type`:                                                  {"18"},
		`SELECT COUNT(*) FROM dhcp4_audit`:                                                           {"0"},
		`SELECT CONCAT_WS(' ', version, minor) FROM schema_version`:                                  {"35 0"},
	} {
		if got := queryLines(t, kea, q); !slices.Equal(got, want) {
			t.Errorf("%s:\n got %q\nwant %q", q, got, want)
		}
	}

	// The triggers keep the pool counts from here on: a lease moved to
	// pool 7, and a released one (counted in no table).
	s.Admin(t, keaDB.Name, `UPDATE lease4 SET pool_id = 7 WHERE address = 3221226034`,
		`INSERT INTO lease4 (address, hwaddr, client_id, valid_lifetime, expire, subnet_id, fqdn_fwd, fqdn_rev, hostname, state, user_context, pool_id)
		 VALUES (3221226041, UNHEX('020000000009'), NULL, 600, '2030-01-01 00:00:00', 1, 0, 0, '', 3, NULL, 7)`,
		// An update to an empty context (not JSON: 14.0's triggers fail
		// it) counts the lease in no class, as Kea 3.x's triggers do.
		`UPDATE lease4 SET user_context = '', state = 1 WHERE address = 3221226035`)
	if got, want := queryLines(t, kea, `SELECT CONCAT_WS(' ', subnet_id, pool_id, state, leases) FROM lease4_pool_stat WHERE leases > 0 ORDER BY 1`),
		[]string{"1 0 1 2", "1 7 0 1"}; !slices.Equal(got, want) {
		t.Errorf("pool counts after a move, a released lease and a decline: %q, want %q", got, want)
	}
	if got := queryLines(t, kea, `SELECT CONCAT_WS(' ', client_class, leases) FROM lease4_stat_by_client_class`); !slices.Equal(got, []string{"foo 0"}) {
		t.Errorf("class counts after the decline: %q, want foo 0", got)
	}

	// Made by leased and upgraded, or made by kea-admin and upgraded:
	// the same schema, sql_modes and character sets included.
	_, ours := initDB(t, s)
	if _, err := Upgrade(ctx, ours); err != nil {
		t.Fatal(err)
	}
	plain := s.NewDB(t)
	keaUp := s.Open(t, plain.Name)
	if _, err := Upgrade(ctx, leasedConn(t, plain)); err != nil {
		t.Fatal(err)
	}
	if onlyKea, onlyOurs := diff(structure(t, keaUp), structure(t, ours)); len(onlyKea)+len(onlyOurs) > 0 {
		t.Errorf("kea-admin's and Init's schema upgraded to 35.0 differ:\nonly in kea-admin's:\n  %s\nonly in Init's:\n  %s",
			strings.Join(onlyKea, "\n  "), strings.Join(onlyOurs, "\n  "))
	}
}

// leasedConn is a connection pool to db made as leased db makes it.
func leasedConn(t *testing.T, db mysqltest.DB) *sql.DB {
	t.Helper()
	connector, _, err := mysql.Connector(mysql.Options{Host: db.Socket, Name: db.Name, User: db.User, Password: db.Password})
	if err != nil {
		t.Fatal(err)
	}
	conn := sql.OpenDB(connector)
	t.Cleanup(func() { conn.Close() })
	return conn
}

// TestUpgradeRefuses: a database at a version other than 14.0 and 35.0
// is refused, naming the version found and those known; one with a table
// 35.0 adds is refused before anything changes.
func TestUpgradeRefuses(t *testing.T) {
	s := mysqltest.Shared(t, mysqltest.Options{})
	db := s.NewDB(t)
	s.Admin(t, db.Name, "UPDATE schema_version SET version = 19, minor = 0")
	_, err := Upgrade(t.Context(), leasedConn(t, db))
	if err == nil || !strings.Contains(err.Error(), "19.0") || !strings.Contains(err.Error(), "14.0") || !strings.Contains(err.Error(), "35.0") {
		t.Errorf("Upgrade of 19.0 = %v; want a refusal naming 19.0, 14.0 and 35.0", err)
	}

	db = s.NewDB(t)
	s.Admin(t, db.Name, "CREATE TABLE free_lease4 (x INT)")
	conn := s.Open(t, db.Name)
	before := structure(t, conn)
	_, err = Upgrade(t.Context(), leasedConn(t, db))
	if err == nil || !strings.Contains(err.Error(), "free_lease4") || errors.Is(err, ErrPartial) {
		t.Errorf("Upgrade with free_lease4 there = %v; want a refusal naming it, nothing changed", err)
	}
	if !slices.Equal(before, structure(t, conn)) {
		t.Error("the refused upgrade changed the schema")
	}

	db = s.NewDB(t)
	s.Admin(t, db.Name, "INSERT INTO lease6 (address, duid, valid_lifetime, expire, subnet_id, lease_type, state) VALUES ('not an address', UNHEX('000102'), 600, '2030-01-01 00:00:00', 1, 0, 0)")
	if _, err = Upgrade(t.Context(), leasedConn(t, db)); err == nil || !strings.Contains(err.Error(), "not an address") || errors.Is(err, ErrPartial) {
		t.Errorf("Upgrade with a bad IPv6 address = %v; want a refusal naming it, nothing changed", err)
	}
}

// TestUpgradeTwiceAtOnce: of two upgrades started together, one upgrades
// and the other waits and finds 35.0.
func TestUpgradeTwiceAtOnce(t *testing.T) {
	s := mysqltest.Shared(t, mysqltest.Options{})
	db := s.NewDB(t)
	a, b := leasedConn(t, db), leasedConn(t, db)
	froms := make(chan mysql.Version, 2)
	errs := make(chan error, 2)
	for _, conn := range []*sql.DB{a, b} {
		go func() {
			v, err := Upgrade(t.Context(), conn)
			froms <- v
			errs <- err
		}()
	}
	got := map[mysql.Version]int{}
	for range 2 {
		got[<-froms]++
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if got[Kea22] != 1 || got[Kea32] != 1 {
		t.Errorf("the two upgrades found %v; want one 14.0 and one 35.0", got)
	}
}
