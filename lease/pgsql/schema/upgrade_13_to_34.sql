-- Kea's PostgreSQL schema 13.0 (Kea 2.2) to 34.0 (Kea 3.1.9, 3.2), in one
-- transaction: the sum of the changes Kea's versions 14.0 to 34.0 made,
-- applied in an order that leaves every table's columns where Kea's own
-- version by version upgrade leaves them. Upgrade runs it after checking
-- that the database is at 13.0; it sets the version last.

-- Configuration-backend rows change below; their audit triggers would want
-- a server tag and a log message that no one gives here.
SELECT set_config('kea.disable_audit', 'true', true);

-- 17.0: a DUID of one zero byte (Kea's placeholder) becomes the
-- three-byte one later versions use. This runs under 13.0's triggers, as
-- in Kea's upgrade: the new ones would count pools not there yet.
UPDATE lease6 SET duid = '\x000000'::bytea WHERE duid = '\x00'::bytea;

-- Functions whose results change shape, and the JSON check the 33.0
-- triggers no longer make, go before everything is redefined.
DROP FUNCTION lease4dumpheader();
DROP FUNCTION lease4dumpdata();
DROP FUNCTION lease6dumpheader();
DROP FUNCTION lease6dumpdata();
DROP FUNCTION isjsonsupported();

-- Functions of 34.0 that 13.0 lacks or defines otherwise: the lease
-- triggers with per-pool counts, registered (4) IPv6 addresses counted,
-- dump and upload with pool ids, and the helpers of the shared free lease
-- queue. The bodies are leased's own, as in create_13.sql.

-- The lease triggers: class counts always (every server has JSON now),
-- subnet counts, and pool counts.

CREATE OR REPLACE FUNCTION func_lease4_ains() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM lease4_ains_lease4_stat_by_client_class(NEW.state, NEW.user_context);
    PERFORM lease4_ains_lease4_stat(NEW.state, NEW.subnet_id);
    PERFORM lease4_ains_lease4_pool_stat(NEW.state, NEW.subnet_id, NEW.pool_id);
    RETURN NULL; -- an AFTER trigger: the row is written already
END;
$$;

CREATE OR REPLACE FUNCTION func_lease4_aupd() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM lease4_aupd_lease4_stat_by_client_class(OLD.state, OLD.user_context, NEW.state, NEW.user_context);
    PERFORM lease4_aupd_lease4_stat(OLD.state, OLD.subnet_id, NEW.state, NEW.subnet_id);
    PERFORM lease4_aupd_lease4_pool_stat(OLD.state, OLD.subnet_id, OLD.pool_id, NEW.state, NEW.subnet_id, NEW.pool_id);
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION func_lease4_adel() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM lease4_adel_lease4_stat_by_client_class(OLD.state, OLD.user_context);
    PERFORM lease4_adel_lease4_stat(OLD.state, OLD.subnet_id);
    PERFORM lease4_adel_lease4_pool_stat(OLD.state, OLD.subnet_id, OLD.pool_id);
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION func_lease6_ains() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM lease6_ains_lease6_stat_by_client_class(NEW.state, NEW.user_context, NEW.lease_type);
    PERFORM lease6_ains_lease6_stat(NEW.state, NEW.subnet_id, NEW.lease_type);
    PERFORM lease6_ains_lease6_pool_stat(NEW.state, NEW.subnet_id, NEW.pool_id, NEW.lease_type);
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION func_lease6_aupd() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM lease6_aupd_lease6_stat_by_client_class(OLD.state, OLD.user_context, OLD.lease_type,
        NEW.state, NEW.user_context, NEW.lease_type);
    PERFORM lease6_aupd_lease6_stat(OLD.state, OLD.subnet_id, OLD.lease_type, NEW.state, NEW.subnet_id, NEW.lease_type);
    PERFORM lease6_aupd_lease6_pool_stat(OLD.state, OLD.subnet_id, OLD.pool_id, OLD.lease_type,
        NEW.state, NEW.subnet_id, NEW.pool_id, NEW.lease_type);
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION func_lease6_adel() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM lease6_adel_lease6_stat_by_client_class(OLD.state, OLD.user_context, OLD.lease_type);
    PERFORM lease6_adel_lease6_stat(OLD.state, OLD.subnet_id, OLD.lease_type);
    PERFORM lease6_adel_lease6_pool_stat(OLD.state, OLD.subnet_id, OLD.pool_id, OLD.lease_type);
    RETURN NULL;
END;
$$;

-- IPv6 subnet counts include registered addresses (state 4). The update
-- function is replaced too, though ours would follow the two others:
-- in a database kea-admin made it is Kea's, which counts by itself.

CREATE OR REPLACE FUNCTION lease6_ains_lease6_stat(new_state bigint, new_subnet_id bigint, new_lease_type smallint) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF new_state IN (0, 1, 4) THEN
        INSERT INTO lease6_stat AS s (subnet_id, lease_type, state, leases)
            VALUES (new_subnet_id, new_lease_type, new_state, 1)
            ON CONFLICT (subnet_id, lease_type, state) DO UPDATE SET leases = s.leases + 1;
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION lease6_adel_lease6_stat(old_state bigint, old_subnet_id bigint, old_lease_type smallint) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF old_state IN (0, 1, 4) THEN
        UPDATE lease6_stat
            SET leases = CASE WHEN leases > 0 THEN leases - 1 ELSE 0 END
            WHERE subnet_id = old_subnet_id AND lease_type = old_lease_type AND state = old_state;
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION lease6_aupd_lease6_stat(old_state bigint, old_subnet_id bigint, old_lease_type smallint, new_state bigint, new_subnet_id bigint, new_lease_type smallint) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF old_state <> new_state OR old_subnet_id <> new_subnet_id OR old_lease_type <> new_lease_type THEN
        PERFORM lease6_adel_lease6_stat(old_state, old_subnet_id, old_lease_type);
        PERFORM lease6_ains_lease6_stat(new_state, new_subnet_id, new_lease_type);
    END IF;
END;
$$;

-- Pool counts: leases in use (0) and declined (1) per subnet and pool
-- (and lease type), as the subnet counts.

CREATE OR REPLACE FUNCTION lease4_ains_lease4_pool_stat(new_state bigint, new_subnet_id bigint, new_pool_id bigint) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF new_state IN (0, 1) THEN
        INSERT INTO lease4_pool_stat AS s (subnet_id, pool_id, state, leases)
            VALUES (new_subnet_id, new_pool_id, new_state, 1)
            ON CONFLICT (subnet_id, pool_id, state) DO UPDATE SET leases = s.leases + 1;
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION lease4_adel_lease4_pool_stat(old_state bigint, old_subnet_id bigint, old_pool_id bigint) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF old_state IN (0, 1) THEN
        UPDATE lease4_pool_stat
            SET leases = CASE WHEN leases > 0 THEN leases - 1 ELSE 0 END
            WHERE subnet_id = old_subnet_id AND pool_id = old_pool_id AND state = old_state;
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION lease4_aupd_lease4_pool_stat(old_state bigint, old_subnet_id bigint, old_pool_id bigint, new_state bigint, new_subnet_id bigint, new_pool_id bigint) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF old_state <> new_state OR old_subnet_id <> new_subnet_id OR old_pool_id <> new_pool_id THEN
        PERFORM lease4_adel_lease4_pool_stat(old_state, old_subnet_id, old_pool_id);
        PERFORM lease4_ains_lease4_pool_stat(new_state, new_subnet_id, new_pool_id);
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION lease6_ains_lease6_pool_stat(new_state bigint, new_subnet_id bigint, new_pool_id bigint, new_lease_type smallint) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF new_state IN (0, 1) THEN
        INSERT INTO lease6_pool_stat AS s (subnet_id, pool_id, lease_type, state, leases)
            VALUES (new_subnet_id, new_pool_id, new_lease_type, new_state, 1)
            ON CONFLICT (subnet_id, pool_id, lease_type, state) DO UPDATE SET leases = s.leases + 1;
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION lease6_adel_lease6_pool_stat(old_state bigint, old_subnet_id bigint, old_pool_id bigint, old_lease_type smallint) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF old_state IN (0, 1) THEN
        UPDATE lease6_pool_stat
            SET leases = CASE WHEN leases > 0 THEN leases - 1 ELSE 0 END
            WHERE subnet_id = old_subnet_id AND pool_id = old_pool_id AND lease_type = old_lease_type
              AND state = old_state;
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION lease6_aupd_lease6_pool_stat(old_state bigint, old_subnet_id bigint, old_pool_id bigint, old_lease_type smallint, new_state bigint, new_subnet_id bigint, new_pool_id bigint, new_lease_type smallint) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF old_state <> new_state OR old_subnet_id <> new_subnet_id OR old_pool_id <> new_pool_id
       OR old_lease_type <> new_lease_type THEN
        PERFORM lease6_adel_lease6_pool_stat(old_state, old_subnet_id, old_pool_id, old_lease_type);
        PERFORM lease6_ains_lease6_pool_stat(new_state, new_subnet_id, new_pool_id, new_lease_type);
    END IF;
END;
$$;

-- kea-admin lease-dump and lease-upload, with the pool id last. (The
-- upload functions of 13.0 stay, beside these, as in Kea's 34.0.)

CREATE OR REPLACE FUNCTION lease4dumpheader() RETURNS text
    LANGUAGE sql
    AS $$
    SELECT text 'address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context,pool_id';
$$;

CREATE OR REPLACE FUNCTION lease4dumpdata() RETURNS TABLE(address inet, hwaddr character varying, client_id character varying, valid_lifetime bigint, expire bigint, subnet_id bigint, fqdn_fwd integer, fqdn_rev integer, hostname character varying, state bigint, user_context character varying, pool_id bigint)
    LANGUAGE sql
    AS $$
    SELECT inet '0.0.0.0' + l.address,
           colonseparatedhex(encode(l.hwaddr, 'hex')),
           colonseparatedhex(encode(l.client_id, 'hex')),
           l.valid_lifetime,
           extract(epoch FROM l.expire)::bigint,
           l.subnet_id,
           l.fqdn_fwd::integer,
           l.fqdn_rev::integer,
           replace(l.hostname, ',', '&#x2c'),
           l.state,
           replace(l.user_context, ',', '&#x2c'),
           l.pool_id
      FROM lease4 AS l
     ORDER BY l.address;
$$;

CREATE OR REPLACE FUNCTION lease4upload(address character varying, hwaddr character varying, client_id character varying, valid_lifetime bigint, expire bigint, subnet_id bigint, fqdn_fwd integer, fqdn_rev integer, hostname character varying, state bigint, user_context character varying, pool_id bigint) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    INSERT INTO lease4 (address, hwaddr, client_id, valid_lifetime, expire, subnet_id,
                        fqdn_fwd, fqdn_rev, hostname, state, user_context, pool_id)
    SELECT lease4upload.address::inet - inet '0.0.0.0',
           decode(replace(lease4upload.hwaddr, ':', ''), 'hex'),
           decode(replace(lease4upload.client_id, ':', ''), 'hex'),
           lease4upload.valid_lifetime,
           to_timestamp(lease4upload.expire),
           lease4upload.subnet_id,
           lease4upload.fqdn_fwd <> 0,
           lease4upload.fqdn_rev <> 0,
           replace(lease4upload.hostname, '&#x2c', ','),
           lease4upload.state,
           replace(lease4upload.user_context, '&#x2c', ','),
           lease4upload.pool_id;
END;
$$;

CREATE OR REPLACE FUNCTION lease6dumpheader() RETURNS text
    LANGUAGE sql
    AS $$
    SELECT text 'address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,fqdn_fwd,fqdn_rev,hostname,hwaddr,state,user_context,hwtype,hwaddr_source,pool_id';
$$;

CREATE OR REPLACE FUNCTION lease6dumpdata() RETURNS TABLE(address character varying, duid character varying, valid_lifetime bigint, expire bigint, subnet_id bigint, pref_lifetime bigint, lease_type smallint, iaid integer, prefix_len smallint, fqdn_fwd integer, fqdn_rev integer, hostname character varying, hwaddr character varying, state bigint, user_context character varying, hwtype smallint, hwaddr_source smallint, pool_id bigint)
    LANGUAGE sql
    AS $$
    SELECT host(l.address),
           colonseparatedhex(encode(l.duid, 'hex')),
           l.valid_lifetime,
           extract(epoch FROM l.expire)::bigint,
           l.subnet_id,
           l.pref_lifetime,
           l.lease_type,
           l.iaid,
           l.prefix_len,
           l.fqdn_fwd::integer,
           l.fqdn_rev::integer,
           replace(l.hostname, ',', '&#x2c'),
           colonseparatedhex(encode(l.hwaddr, 'hex')),
           l.state,
           replace(l.user_context, ',', '&#x2c'),
           l.hwtype,
           l.hwaddr_source,
           l.pool_id
      FROM lease6 AS l
     ORDER BY l.address;
$$;

CREATE OR REPLACE FUNCTION lease6upload(address character varying, duid character varying, valid_lifetime bigint, expire bigint, subnet_id bigint, pref_lifetime bigint, lease_type integer, iaid integer, prefix_len integer, fqdn_fwd integer, fqdn_rev integer, hostname character varying, hwaddr character varying, state bigint, user_context character varying, hwtype integer, hwaddr_source integer, pool_id bigint) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    INSERT INTO lease6 (address, duid, valid_lifetime, expire, subnet_id, pref_lifetime, lease_type,
                        iaid, prefix_len, fqdn_fwd, fqdn_rev, hostname, hwaddr, state, user_context,
                        hwtype, hwaddr_source, pool_id)
    SELECT lease6upload.address::inet,
           decode(replace(lease6upload.duid, ':', ''), 'hex'),
           lease6upload.valid_lifetime,
           to_timestamp(lease6upload.expire),
           lease6upload.subnet_id,
           lease6upload.pref_lifetime,
           lease6upload.lease_type,
           lease6upload.iaid,
           lease6upload.prefix_len,
           lease6upload.fqdn_fwd <> 0,
           lease6upload.fqdn_rev <> 0,
           replace(lease6upload.hostname, '&#x2c', ','),
           decode(replace(lease6upload.hwaddr, ':', ''), 'hex'),
           lease6upload.state,
           replace(lease6upload.user_context, '&#x2c', ','),
           lease6upload.hwtype,
           lease6upload.hwaddr_source,
           lease6upload.pool_id;
END;
$$;

-- 27.0's conversion of one client class to a JSON list of one.
CREATE OR REPLACE FUNCTION texttojsonlist(orig text) RETURNS text
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF coalesce(orig, '') = '' THEN
        RETURN NULL;
    END IF;
    -- Spaced as Kea writes its lists.
    RETURN format('[ "%s" ]', orig);
END;
$$;

-- IPv6 addresses as 16 bytes, network order, so that they sort as
-- numbers (free_lease6.bin_address), and back.

CREATE OR REPLACE FUNCTION hextobin(digit smallint) RETURNS smallint
    LANGUAGE plpgsql
    AS $$
BEGIN
    -- digit is a character's code; anything but 0-9, a-f, A-F is -1.
    IF digit BETWEEN 1 AND 127 THEN
        RETURN strpos('0123456789abcdef', lower(chr(digit))) - 1;
    END IF;
    RETURN -1;
END;
$$;

CREATE OR REPLACE FUNCTION inettobytea(inet_address inet) RETURNS bytea
    LANGUAGE plpgsql
    AS $$
DECLARE
    written text := host(inet_address);
    v4 text;
    head text[];
    tail text[];
    groups text[];
BEGIN
    IF family(inet_address) <> 6 THEN
        RAISE EXCEPTION 'inettobytea(%): not an IPv6 address', inet_address;
    END IF;
    -- The last 32 bits written as an IPv4 address (::ffff:192.0.2.1)
    -- become two groups of hex digits.
    IF strpos(written, '.') > 0 THEN
        v4 := substring(written FROM '[^:]*$');
        v4 := lpad(to_hex(v4::inet - inet '0.0.0.0'), 8, '0');
        written := regexp_replace(written, '[^:]*$', left(v4, 4) || ':' || right(v4, 4));
    END IF;
    -- "::" stands for as many zero groups as make eight.
    IF strpos(written, '::') > 0 THEN
        head := string_to_array(nullif(split_part(written, '::', 1), ''), ':');
        tail := string_to_array(nullif(split_part(written, '::', 2), ''), ':');
        groups := coalesce(head, '{}') || array_fill('0'::text, ARRAY[8 - coalesce(cardinality(head), 0) - coalesce(cardinality(tail), 0)]) || coalesce(tail, '{}');
    ELSE
        groups := string_to_array(written, ':');
    END IF;
    RETURN decode((SELECT string_agg(lpad(g, 4, '0'), '' ORDER BY n) FROM unnest(groups) WITH ORDINALITY AS u(g, n)), 'hex');
END;
$$;

CREATE OR REPLACE FUNCTION byteatoinet(bin_address bytea) RETURNS inet
    LANGUAGE plpgsql
    AS $$
BEGIN
    -- Anything but 16 bytes is no address: '::'.
    IF octet_length(bin_address) IS DISTINCT FROM 16 THEN
        RETURN inet '::';
    END IF;
    RETURN regexp_replace(encode(bin_address, 'hex'), '(.{4})(?=.)', '\1:', 'g')::inet;
END;
$$;

CREATE OR REPLACE FUNCTION incrementv6prefix(prefix bytea, prefix_len smallint) RETURNS bytea
    LANGUAGE plpgsql
    AS $$
DECLARE
    next_prefix bytea := prefix;
    pos integer;   -- the byte holding the prefix's last bit
    carry integer; -- what is added to that byte
    sum integer;
BEGIN
    -- The next prefix of this length: one added at its last bit, carried
    -- to the left; the last prefix wraps to zero. A length outside 1-128
    -- leaves the prefix as it is.
    IF prefix_len NOT BETWEEN 1 AND 128 THEN
        RETURN prefix;
    END IF;
    pos := (prefix_len - 1) / 8;
    carry := 1 << (7 - (prefix_len - 1) % 8);
    LOOP
        sum := get_byte(next_prefix, pos) + carry;
        next_prefix := set_byte(next_prefix, pos, sum % 256);
        EXIT WHEN sum < 256 OR pos = 0;
        carry := 1;
        pos := pos - 1;
    END LOOP;
    RETURN next_prefix;
END;
$$;

-- The shared free lease queue (Kea 3.1.8's "shared-flq" allocator): the
-- free addresses of each such pool are rows of free_lease4 and
-- free_lease6, which the servers sharing the database take in turn,
-- round-robin from where the pool's last pick was. A lease written
-- through sflqinsertlease4 and the others keeps the queue right: an
-- expired-reclaimed (2) lease's address is free, any other's is not.

CREATE OR REPLACE FUNCTION sflqcreateflqpool4(p_start_address bigint, p_end_address bigint, p_subnet_id bigint, p_recreate boolean) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF p_start_address = 0 OR p_start_address > p_end_address THEN
        RAISE EXCEPTION 'free lease queue pool % - %: not a range of addresses',
            inet '0.0.0.0' + p_start_address, inet '0.0.0.0' + p_end_address;
    END IF;
    -- Made again (at a server's start) the pool keeps its row; made anew
    -- it must not exist.
    IF p_recreate THEN
        INSERT INTO flq_pool4 (start_address, end_address, subnet_id, last_returned_address)
            VALUES (p_start_address, p_end_address, p_subnet_id, 0) ON CONFLICT DO NOTHING;
    ELSE
        INSERT INTO flq_pool4 (start_address, end_address, subnet_id, last_returned_address)
            VALUES (p_start_address, p_end_address, p_subnet_id, 0);
    END IF;
    -- The queue is refilled from the leases: free is an address with no
    -- lease or a reclaimed one.
    DELETE FROM free_lease4 WHERE address BETWEEN p_start_address AND p_end_address;
    INSERT INTO free_lease4 (address)
        SELECT a FROM generate_series(p_start_address, p_end_address) AS a
         WHERE NOT EXISTS (SELECT 1 FROM lease4 AS l WHERE l.address = a AND l.state IS DISTINCT FROM 2)
        ON CONFLICT DO NOTHING;
    UPDATE flq_pool4 SET modification_ts = now()
        WHERE start_address = p_start_address AND end_address = p_end_address;
END;
$$;

CREATE OR REPLACE FUNCTION sflqcreateflqpool6(p_start_address inet, p_end_address inet, p_lease_type smallint, p_delegated_len smallint, p_subnet_id bigint, p_recreate boolean) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    last_bin bytea := inettobytea(p_end_address);
    cur bytea := inettobytea(p_start_address);
    nxt bytea;
    batch bytea[];
    done boolean := false;
    old_len smallint;
BEGIN
    IF p_start_address = inet '::' OR p_start_address > p_end_address THEN
        RAISE EXCEPTION 'free lease queue pool % - %: not a range of addresses', host(p_start_address), host(p_end_address);
    END IF;
    IF p_delegated_len NOT BETWEEN 1 AND 128 THEN
        RAISE EXCEPTION 'free lease queue pool % - %: delegated length % is not 1 to 128',
            host(p_start_address), host(p_end_address), p_delegated_len;
    END IF;
    -- A pool made anew may exist already only with another delegated
    -- length (its prefixes changed); then, as when made again, its row
    -- takes the new type, length and subnet.
    IF NOT p_recreate THEN
        SELECT delegated_len INTO old_len FROM flq_pool6
            WHERE start_address = p_start_address AND end_address = p_end_address FOR UPDATE;
    END IF;
    IF p_recreate OR old_len <> p_delegated_len THEN
        INSERT INTO flq_pool6 (start_address, end_address, lease_type, delegated_len, subnet_id)
            VALUES (p_start_address, p_end_address, p_lease_type, p_delegated_len, p_subnet_id)
            ON CONFLICT (start_address, end_address) DO UPDATE
                SET lease_type = EXCLUDED.lease_type, delegated_len = EXCLUDED.delegated_len, subnet_id = EXCLUDED.subnet_id;
    ELSE
        INSERT INTO flq_pool6 (start_address, end_address, lease_type, delegated_len, subnet_id)
            VALUES (p_start_address, p_end_address, p_lease_type, p_delegated_len, p_subnet_id);
    END IF;

    DELETE FROM free_lease6 WHERE address BETWEEN p_start_address AND p_end_address;
    -- Every prefix of the pool from its start, in batches of 10000 so that
    -- a large pool is not one huge array; free is a prefix with no lease
    -- or a reclaimed one.
    WHILE NOT done LOOP
        batch := ARRAY[]::bytea[];
        LOOP
            batch := batch || cur;
            nxt := incrementv6prefix(cur, p_delegated_len);
            done := nxt <= cur OR nxt > last_bin; -- wrapped, or past the end
            EXIT WHEN done OR cardinality(batch) = 10000;
            cur := nxt;
        END LOOP;
        INSERT INTO free_lease6 (address, bin_address)
            SELECT byteatoinet(b), b FROM unnest(batch) AS b
             WHERE NOT EXISTS (SELECT 1 FROM lease6 AS l WHERE l.address = byteatoinet(b) AND l.state <> 2)
            ON CONFLICT DO NOTHING;
        cur := nxt;
    END LOOP;
    UPDATE flq_pool6 SET modification_ts = now()
        WHERE start_address = p_start_address AND end_address = p_end_address;
END;
$$;

CREATE OR REPLACE FUNCTION sflqpickfreelease4(p_start_address bigint, p_end_address bigint) RETURNS bigint
    LANGUAGE plpgsql
    AS $$
DECLARE
    pool flq_pool4%ROWTYPE;
    after bigint;
    picked bigint;
BEGIN
    SELECT * INTO pool FROM flq_pool4 WHERE start_address = p_start_address AND end_address = p_end_address;
    IF NOT FOUND THEN
        RETURN 0; -- no such pool: no address
    END IF;
    -- Round-robin: the first free address after the last one picked, or
    -- from the start again. The pick stays in the queue until its lease
    -- is written.
    after := pool.last_returned_address;
    IF after < p_start_address OR after >= p_end_address THEN
        after := p_start_address - 1;
    END IF;
    SELECT min(address) INTO picked FROM free_lease4 WHERE address > after AND address <= p_end_address;
    IF picked IS NULL THEN
        SELECT min(address) INTO picked FROM free_lease4 WHERE address BETWEEN p_start_address AND after;
    END IF;
    picked := coalesce(picked, 0);
    UPDATE flq_pool4 SET last_returned_address = picked WHERE id = pool.id;
    RETURN picked;
END;
$$;

CREATE OR REPLACE FUNCTION sflqpickfreelease6(alloc_start_address inet, alloc_end_address inet) RETURNS inet
    LANGUAGE plpgsql
    AS $$
DECLARE
    pool flq_pool6%ROWTYPE;
    after inet;
    after_bin bytea;
    start_bin bytea := inettobytea(alloc_start_address);
    end_bin bytea := inettobytea(alloc_end_address);
    picked inet;
BEGIN
    SELECT * INTO pool FROM flq_pool6 WHERE start_address = alloc_start_address AND end_address = alloc_end_address;
    IF NOT FOUND THEN
        RETURN inet '::'; -- no such pool: no address
    END IF;
    -- As for IPv4, in the order of the addresses' bytes.
    after := pool.last_returned_address;
    IF after < alloc_start_address OR after >= alloc_end_address THEN
        after := alloc_start_address - 1;
    END IF;
    after_bin := inettobytea(after);
    SELECT f.address INTO picked FROM free_lease6 AS f
        WHERE f.bin_address > after_bin AND f.bin_address <= end_bin ORDER BY f.bin_address LIMIT 1;
    IF picked IS NULL THEN
        SELECT f.address INTO picked FROM free_lease6 AS f
            WHERE f.bin_address >= start_bin AND f.bin_address <= after_bin ORDER BY f.bin_address LIMIT 1;
    END IF;
    picked := coalesce(picked, inet '::');
    UPDATE flq_pool6 SET last_returned_address = picked WHERE id = pool.id;
    RETURN picked;
END;
$$;

-- Lease writes of shared-flq subnets: the write, then the queue; each
-- returns the count of leases written (0 when an update or delete found
-- no lease with that address and expiry).

CREATE OR REPLACE FUNCTION sflqinsertlease4(p_address bigint, p_hwaddr bytea, p_client_id bytea, p_valid_lifetime bigint, p_expire timestamp with time zone, p_subnet_id bigint, p_fqdn_fwd boolean, p_fqdn_rev boolean, p_hostname character varying, p_state bigint, p_user_context text, p_relay_id bytea, p_remote_id bytea, p_pool_id bigint) RETURNS integer
    LANGUAGE plpgsql
    AS $$
BEGIN
    INSERT INTO lease4 (address, hwaddr, client_id, valid_lifetime, expire, subnet_id, fqdn_fwd, fqdn_rev,
                        hostname, state, user_context, relay_id, remote_id, pool_id)
        VALUES (p_address, p_hwaddr, p_client_id, p_valid_lifetime, p_expire, p_subnet_id, p_fqdn_fwd, p_fqdn_rev,
                p_hostname, p_state, p_user_context, p_relay_id, p_remote_id, p_pool_id);
    IF p_state = 2 THEN
        INSERT INTO free_lease4 (address) VALUES (p_address) ON CONFLICT DO NOTHING;
    ELSE
        DELETE FROM free_lease4 WHERE address = p_address;
    END IF;
    RETURN 1;
END;
$$;

CREATE OR REPLACE FUNCTION sflqupdatelease4(p_address bigint, p_hwaddr bytea, p_client_id bytea, p_valid_lifetime bigint, p_expire timestamp with time zone, p_subnet_id bigint, p_fqdn_fwd boolean, p_fqdn_rev boolean, p_hostname character varying, p_state bigint, p_user_context text, p_relay_id bytea, p_remote_id bytea, p_pool_id bigint, p_where_address bigint, p_where_expire timestamp with time zone) RETURNS integer
    LANGUAGE plpgsql
    AS $$
DECLARE
    written integer;
BEGIN
    -- The expiry the server read guards against a change by another
    -- server in between.
    UPDATE lease4
        SET address = p_address, hwaddr = p_hwaddr, client_id = p_client_id, valid_lifetime = p_valid_lifetime,
            expire = p_expire, subnet_id = p_subnet_id, fqdn_fwd = p_fqdn_fwd, fqdn_rev = p_fqdn_rev,
            hostname = p_hostname, state = p_state, user_context = p_user_context, relay_id = p_relay_id,
            remote_id = p_remote_id, pool_id = p_pool_id
        WHERE address = p_where_address AND expire = p_where_expire;
    GET DIAGNOSTICS written = ROW_COUNT;
    IF written = 0 THEN
        RETURN 0;
    END IF;
    IF p_state = 2 THEN
        INSERT INTO free_lease4 (address) VALUES (p_address) ON CONFLICT DO NOTHING;
    ELSE
        DELETE FROM free_lease4 WHERE address = p_address;
    END IF;
    RETURN written;
END;
$$;

CREATE OR REPLACE FUNCTION sflqdeletelease4(p_address bigint, p_expire timestamp with time zone) RETURNS integer
    LANGUAGE plpgsql
    AS $$
DECLARE
    deleted integer;
BEGIN
    DELETE FROM lease4 WHERE address = p_address AND expire = p_expire;
    GET DIAGNOSTICS deleted = ROW_COUNT;
    IF deleted > 0 THEN
        INSERT INTO free_lease4 (address) VALUES (p_address) ON CONFLICT DO NOTHING;
    END IF;
    RETURN deleted;
END;
$$;

CREATE OR REPLACE FUNCTION sflqinsertlease6(p_address inet, p_duid bytea, p_valid_lifetime bigint, p_expire timestamp with time zone, p_subnet_id bigint, p_pref_lifetime bigint, p_lease_type smallint, p_iaid integer, p_prefix_len smallint, p_fqdn_fwd boolean, p_fqdn_rev boolean, p_hostname character varying, p_hwaddr bytea, p_hwtype smallint, p_hwaddr_source smallint, p_state bigint, p_user_context text, p_pool_id bigint) RETURNS integer
    LANGUAGE plpgsql
    AS $$
BEGIN
    INSERT INTO lease6 (address, duid, valid_lifetime, expire, subnet_id, pref_lifetime, lease_type, iaid,
                        prefix_len, fqdn_fwd, fqdn_rev, hostname, hwaddr, hwtype, hwaddr_source, state,
                        user_context, pool_id)
        VALUES (p_address, p_duid, p_valid_lifetime, p_expire, p_subnet_id, p_pref_lifetime, p_lease_type, p_iaid,
                p_prefix_len, p_fqdn_fwd, p_fqdn_rev, p_hostname, p_hwaddr, p_hwtype, p_hwaddr_source, p_state,
                p_user_context, p_pool_id);
    IF p_state = 2 THEN
        INSERT INTO free_lease6 (address, bin_address) VALUES (p_address, inettobytea(p_address)) ON CONFLICT DO NOTHING;
    ELSE
        DELETE FROM free_lease6 WHERE address = p_address;
    END IF;
    RETURN 1;
END;
$$;

CREATE OR REPLACE FUNCTION sflqupdatelease6(p_address inet, p_duid bytea, p_valid_lifetime bigint, p_expire timestamp with time zone, p_subnet_id bigint, p_pref_lifetime bigint, p_lease_type smallint, p_iaid integer, p_prefix_len smallint, p_fqdn_fwd boolean, p_fqdn_rev boolean, p_hostname character varying, p_hwaddr bytea, p_hwtype smallint, p_hwaddr_source smallint, p_state bigint, p_user_context text, p_pool_id bigint, p_where_address inet, p_where_expire timestamp with time zone) RETURNS integer
    LANGUAGE plpgsql
    AS $$
DECLARE
    written integer;
BEGIN
    UPDATE lease6
        SET address = p_address, duid = p_duid, valid_lifetime = p_valid_lifetime, expire = p_expire,
            subnet_id = p_subnet_id, pref_lifetime = p_pref_lifetime, lease_type = p_lease_type, iaid = p_iaid,
            prefix_len = p_prefix_len, fqdn_fwd = p_fqdn_fwd, fqdn_rev = p_fqdn_rev, hostname = p_hostname,
            hwaddr = p_hwaddr, hwtype = p_hwtype, hwaddr_source = p_hwaddr_source, state = p_state,
            user_context = p_user_context, pool_id = p_pool_id
        WHERE address = p_where_address AND expire = p_where_expire;
    GET DIAGNOSTICS written = ROW_COUNT;
    IF written = 0 THEN
        RETURN 0;
    END IF;
    IF p_state = 2 THEN
        INSERT INTO free_lease6 (address, bin_address) VALUES (p_address, inettobytea(p_address)) ON CONFLICT DO NOTHING;
    ELSE
        DELETE FROM free_lease6 WHERE address = p_address;
    END IF;
    RETURN written;
END;
$$;

CREATE OR REPLACE FUNCTION sflqdeletelease6(p_address inet, p_expire timestamp with time zone) RETURNS integer
    LANGUAGE plpgsql
    AS $$
DECLARE
    deleted integer;
BEGIN
    DELETE FROM lease6 WHERE address = p_address AND expire = p_expire;
    GET DIAGNOSTICS deleted = ROW_COUNT;
    IF deleted > 0 THEN
        INSERT INTO free_lease6 (address, bin_address) VALUES (p_address, inettobytea(p_address)) ON CONFLICT DO NOTHING;
    END IF;
    RETURN deleted;
END;
$$;

-- 14.0: offer lifetimes and cancelled options in the configuration backend.
ALTER TABLE dhcp4_options ADD COLUMN cancelled boolean NOT NULL DEFAULT false;
ALTER TABLE dhcp6_options ADD COLUMN cancelled boolean NOT NULL DEFAULT false;
ALTER TABLE dhcp4_shared_network ADD COLUMN offer_lifetime bigint;
ALTER TABLE dhcp4_subnet ADD COLUMN offer_lifetime bigint;
ALTER TABLE dhcp4_client_class ADD COLUMN offer_lifetime bigint;

-- 15.0: a lease's relay and remote identifiers, for Leasequery.
ALTER TABLE lease4 ADD COLUMN relay_id bytea, ADD COLUMN remote_id bytea;
CREATE INDEX lease4_by_relay_id ON lease4 (relay_id);
CREATE INDEX lease4_by_remote_id ON lease4 (remote_id);

-- 16.0: allocators per subnet and shared network.
ALTER TABLE dhcp4_subnet ADD COLUMN allocator text;
ALTER TABLE dhcp4_shared_network ADD COLUMN allocator text;
ALTER TABLE dhcp6_subnet ADD COLUMN allocator text, ADD COLUMN pd_allocator text;
ALTER TABLE dhcp6_shared_network ADD COLUMN allocator text, ADD COLUMN pd_allocator text;

-- 17.0: pool ids and per-pool counts. Existing leases are in pool 0,
-- and counted there.
ALTER TABLE lease4 ADD COLUMN pool_id bigint NOT NULL DEFAULT 0;
ALTER TABLE lease6 ADD COLUMN pool_id bigint NOT NULL DEFAULT 0;
CREATE TABLE lease4_pool_stat (
    subnet_id bigint NOT NULL,
    pool_id bigint NOT NULL,
    state bigint NOT NULL,
    leases bigint,
    PRIMARY KEY (subnet_id, pool_id, state)
);
CREATE TABLE lease6_pool_stat (
    subnet_id bigint NOT NULL,
    pool_id bigint NOT NULL,
    lease_type smallint NOT NULL,
    state bigint NOT NULL,
    leases bigint,
    PRIMARY KEY (subnet_id, pool_id, lease_type, state)
);
INSERT INTO lease4_pool_stat (subnet_id, pool_id, state, leases)
    SELECT subnet_id, pool_id, state, count(*) FROM lease4
    WHERE state IN (0, 1) GROUP BY subnet_id, pool_id, state;
INSERT INTO lease6_pool_stat (subnet_id, pool_id, lease_type, state, leases)
    SELECT subnet_id, pool_id, lease_type, state, count(*) FROM lease6
    WHERE state IN (0, 1) GROUP BY subnet_id, pool_id, lease_type, state;

-- 18.0: IPv6 addresses as inet.
ALTER TABLE lease6 ALTER COLUMN address TYPE inet USING address::inet;
ALTER TABLE ipv6_reservations ALTER COLUMN address TYPE inet USING address::inet;

-- 17.0 and 19.0: relay and remote identifiers of IPv6 leases, removed
-- with their lease.
CREATE TABLE lease6_relay_id (
    extended_info_id serial PRIMARY KEY,
    relay_id bytea NOT NULL,
    lease_addr inet NOT NULL
);
CREATE INDEX lease6_relay_id_by_id ON lease6_relay_id (relay_id, lease_addr);
CREATE INDEX lease6_relay_id_by_address ON lease6_relay_id (lease_addr);
ALTER TABLE lease6_relay_id ADD CONSTRAINT fk_lease6_relay_id_addr FOREIGN KEY (lease_addr)
    REFERENCES lease6 (address) ON DELETE CASCADE;
CREATE TABLE lease6_remote_id (
    extended_info_id serial PRIMARY KEY,
    remote_id bytea NOT NULL,
    lease_addr inet NOT NULL
);
CREATE INDEX lease6_remote_id_by_id ON lease6_remote_id (remote_id, lease_addr);
CREATE INDEX lease6_remote_id_by_address ON lease6_remote_id (lease_addr);
ALTER TABLE lease6_remote_id ADD CONSTRAINT fk_lease6_remote_id_addr FOREIGN KEY (lease_addr)
    REFERENCES lease6 (address) ON DELETE CASCADE;

-- 19.0: ddns-use-conflict-resolution became ddns-conflict-resolution-mode.
UPDATE dhcp4_global_parameter SET name = 'ddns-conflict-resolution-mode', value = 'check-with-dhcid', parameter_type = 4
    WHERE name = 'ddns-use-conflict-resolution' AND value = '1';
UPDATE dhcp4_global_parameter SET name = 'ddns-conflict-resolution-mode', value = 'no-check-with-dhcid', parameter_type = 4
    WHERE name = 'ddns-use-conflict-resolution' AND value = '0';
UPDATE dhcp6_global_parameter SET name = 'ddns-conflict-resolution-mode', value = 'check-with-dhcid', parameter_type = 4
    WHERE name = 'ddns-use-conflict-resolution' AND value = '1';
UPDATE dhcp6_global_parameter SET name = 'ddns-conflict-resolution-mode', value = 'no-check-with-dhcid', parameter_type = 4
    WHERE name = 'ddns-use-conflict-resolution' AND value = '0';

-- 20.0 and 21.0: indexes (Kea 2.2's dhcp4_server_modification_ts was on
-- dhcp6_server).
CREATE INDEX lease6_by_subnet_id_address ON lease6 (subnet_id, address);
DROP INDEX dhcp4_server_modification_ts;
CREATE INDEX dhcp4_server_modification_ts ON dhcp4_server (modification_ts);

-- 22.0: the dhcp-ddns.* behaviour parameters and reservation-mode are gone.
DELETE FROM dhcp4_global_parameter WHERE name IN ('dhcp-ddns.override-no-update', 'dhcp-ddns.override-client-update',
    'dhcp-ddns.replace-client-name', 'dhcp-ddns.generated-prefix', 'dhcp-ddns.qualifying-suffix',
    'dhcp-ddns.hostname-char-set', 'dhcp-ddns.hostname-char-replacement');
DELETE FROM dhcp6_global_parameter WHERE name IN ('dhcp-ddns.override-no-update', 'dhcp-ddns.override-client-update',
    'dhcp-ddns.replace-client-name', 'dhcp-ddns.generated-prefix', 'dhcp-ddns.qualifying-suffix',
    'dhcp-ddns.hostname-char-set', 'dhcp-ddns.hostname-char-replacement');
UPDATE dhcp4_global_parameter SET name = 'reservations-global', value = '1', parameter_type = 2 WHERE name = 'reservation-mode' AND value = 'global';
UPDATE dhcp4_global_parameter SET name = 'reservations-in-subnet', value = '1', parameter_type = 2 WHERE name = 'reservation-mode' AND value = 'all';
UPDATE dhcp4_global_parameter SET name = 'reservations-in-subnet', value = '0', parameter_type = 2 WHERE name = 'reservation-mode' AND value IN ('disabled', 'off');
UPDATE dhcp4_global_parameter SET name = 'reservations-out-of-pool', value = '1', parameter_type = 2 WHERE name = 'reservation-mode' AND value = 'out-of-pool';
UPDATE dhcp6_global_parameter SET name = 'reservations-global', value = '1', parameter_type = 2 WHERE name = 'reservation-mode' AND value = 'global';
UPDATE dhcp6_global_parameter SET name = 'reservations-in-subnet', value = '1', parameter_type = 2 WHERE name = 'reservation-mode' AND value = 'all';
UPDATE dhcp6_global_parameter SET name = 'reservations-in-subnet', value = '0', parameter_type = 2 WHERE name = 'reservation-mode' AND value IN ('disabled', 'off');
UPDATE dhcp6_global_parameter SET name = 'reservations-out-of-pool', value = '1', parameter_type = 2 WHERE name = 'reservation-mode' AND value = 'out-of-pool';

-- 23.0: released leases.
INSERT INTO lease_state (state, name) VALUES (3, 'released');

-- 24.0: the control socket is no longer a global parameter; option
-- definitions name their data type from a table (254, record, for those
-- with record types).
DELETE FROM dhcp4_global_parameter WHERE name IN ('control-socket.socket-name', 'control-socket.socket-type');
DELETE FROM dhcp6_global_parameter WHERE name IN ('control-socket.socket-name', 'control-socket.socket-type');
UPDATE dhcp4_option_def SET type = 254 WHERE record_types IS NOT NULL;
UPDATE dhcp6_option_def SET type = 254 WHERE record_types IS NOT NULL;
CREATE TABLE option_def_data_type (
    id smallint NOT NULL,
    name varchar(32) NOT NULL,
    PRIMARY KEY (id)
);
INSERT INTO option_def_data_type (id, name) VALUES
    (0, 'empty'), (1, 'binary'), (2, 'boolean'), (3, 'int8'), (4, 'int16'), (5, 'int32'),
    (6, 'uint8'), (7, 'uint16'), (8, 'uint32'), (10, 'ipv4-address'), (11, 'ipv6-address'),
    (12, 'ipv6-prefix'), (13, 'psid'), (14, 'string'), (15, 'tuple'), (16, 'fqdn'),
    (17, 'internal'), (254, 'record');
ALTER TABLE dhcp4_option_def ADD CONSTRAINT fk_option_def_data_type4 FOREIGN KEY (type) REFERENCES option_def_data_type (id);
ALTER TABLE dhcp6_option_def ADD CONSTRAINT fk_option_def_data_type6 FOREIGN KEY (type) REFERENCES option_def_data_type (id);

-- 25.0: excluded prefixes of prefix reservations.
ALTER TABLE ipv6_reservations ADD COLUMN excluded_prefix inet, ADD COLUMN excluded_prefix_len smallint NOT NULL DEFAULT '0';

-- 26.0: options guarded by client classes; "require" became "evaluate
-- additional".
ALTER TABLE dhcp4_options ADD COLUMN client_classes text;
ALTER TABLE dhcp6_options ADD COLUMN client_classes text;
ALTER TABLE dhcp4_shared_network RENAME COLUMN require_client_classes TO evaluate_additional_classes;
ALTER TABLE dhcp4_subnet RENAME COLUMN require_client_classes TO evaluate_additional_classes;
ALTER TABLE dhcp4_pool RENAME COLUMN require_client_classes TO evaluate_additional_classes;
ALTER TABLE dhcp6_shared_network RENAME COLUMN require_client_classes TO evaluate_additional_classes;
ALTER TABLE dhcp6_subnet RENAME COLUMN require_client_classes TO evaluate_additional_classes;
ALTER TABLE dhcp6_pool RENAME COLUMN require_client_classes TO evaluate_additional_classes;
ALTER TABLE dhcp6_pd_pool RENAME COLUMN require_client_classes TO evaluate_additional_classes;
ALTER TABLE dhcp4_client_class RENAME COLUMN only_if_required TO only_in_additional_list;
ALTER TABLE dhcp6_client_class RENAME COLUMN only_if_required TO only_in_additional_list;

-- 27.0: one client class became a JSON list of them.
ALTER TABLE dhcp4_shared_network RENAME COLUMN client_class TO client_classes;
ALTER TABLE dhcp4_shared_network ALTER COLUMN client_classes TYPE text;
UPDATE dhcp4_shared_network SET client_classes = texttojsonlist(client_classes);
ALTER TABLE dhcp4_subnet RENAME COLUMN client_class TO client_classes;
ALTER TABLE dhcp4_subnet ALTER COLUMN client_classes TYPE text;
UPDATE dhcp4_subnet SET client_classes = texttojsonlist(client_classes);
ALTER TABLE dhcp4_pool RENAME COLUMN client_class TO client_classes;
ALTER TABLE dhcp4_pool ALTER COLUMN client_classes TYPE text;
UPDATE dhcp4_pool SET client_classes = texttojsonlist(client_classes);
ALTER TABLE dhcp6_shared_network RENAME COLUMN client_class TO client_classes;
ALTER TABLE dhcp6_shared_network ALTER COLUMN client_classes TYPE text;
UPDATE dhcp6_shared_network SET client_classes = texttojsonlist(client_classes);
ALTER TABLE dhcp6_subnet RENAME COLUMN client_class TO client_classes;
ALTER TABLE dhcp6_subnet ALTER COLUMN client_classes TYPE text;
UPDATE dhcp6_subnet SET client_classes = texttojsonlist(client_classes);
ALTER TABLE dhcp6_pool RENAME COLUMN client_class TO client_classes;
ALTER TABLE dhcp6_pool ALTER COLUMN client_classes TYPE text;
UPDATE dhcp6_pool SET client_classes = texttojsonlist(client_classes);
ALTER TABLE dhcp6_pd_pool RENAME COLUMN client_class TO client_classes;
ALTER TABLE dhcp6_pd_pool ALTER COLUMN client_classes TYPE text;
UPDATE dhcp6_pd_pool SET client_classes = texttojsonlist(client_classes);

-- 28.0: DNS TTLs per subnet and shared network.
ALTER TABLE dhcp4_shared_network ADD COLUMN ddns_ttl_percent double precision, ADD COLUMN ddns_ttl bigint,
    ADD COLUMN ddns_ttl_min bigint, ADD COLUMN ddns_ttl_max bigint;
ALTER TABLE dhcp4_subnet ADD COLUMN ddns_ttl_percent double precision, ADD COLUMN ddns_ttl bigint,
    ADD COLUMN ddns_ttl_min bigint, ADD COLUMN ddns_ttl_max bigint;
ALTER TABLE dhcp6_shared_network ADD COLUMN ddns_ttl_percent double precision, ADD COLUMN ddns_ttl bigint,
    ADD COLUMN ddns_ttl_min bigint, ADD COLUMN ddns_ttl_max bigint;
ALTER TABLE dhcp6_subnet ADD COLUMN ddns_ttl_percent double precision, ADD COLUMN ddns_ttl bigint,
    ADD COLUMN ddns_ttl_min bigint, ADD COLUMN ddns_ttl_max bigint;

-- 29.0: registered IPv6 addresses.
INSERT INTO lease_state (state, name) VALUES (4, 'registered');

-- 30.0: an option's client classes are never NULL.
UPDATE dhcp4_options SET client_classes = '[  ]' WHERE client_classes IS NULL;
ALTER TABLE dhcp4_options ALTER COLUMN client_classes SET NOT NULL;
UPDATE dhcp6_options SET client_classes = '[  ]' WHERE client_classes IS NULL;
ALTER TABLE dhcp6_options ALTER COLUMN client_classes SET NOT NULL;

-- 31.0 and 32.0: indexes.
CREATE INDEX lease6_by_hwaddr ON lease6 (hwaddr);
CREATE INDEX lease4_by_state ON lease4 (state, subnet_id);
CREATE INDEX lease6_by_state ON lease6 (state, subnet_id);

-- 33.0: the shared free lease queue's tables.
CREATE TABLE flq_pool4 (
    id serial PRIMARY KEY,
    start_address bigint NOT NULL,
    end_address bigint NOT NULL,
    last_returned_address bigint NOT NULL DEFAULT 0,
    subnet_id bigint NOT NULL,
    created_ts timestamp with time zone NOT NULL DEFAULT CURRENT_TIMESTAMP,
    modification_ts timestamp with time zone NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE UNIQUE INDEX flq_pool4_start_end_address ON flq_pool4 (start_address, end_address);
CREATE INDEX flq_pool4_by_subnet_id ON flq_pool4 (subnet_id);
CREATE TABLE free_lease4 (
    address bigint PRIMARY KEY,
    modification_ts timestamp with time zone NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE flq_pool6 (
    id serial PRIMARY KEY,
    start_address inet NOT NULL,
    end_address inet NOT NULL,
    lease_type smallint NOT NULL,
    delegated_len smallint NOT NULL,
    last_returned_address inet NOT NULL DEFAULT '::',
    subnet_id bigint NOT NULL,
    created_ts timestamp with time zone NOT NULL DEFAULT CURRENT_TIMESTAMP,
    modification_ts timestamp with time zone NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE UNIQUE INDEX flq_pool6_start_end_address ON flq_pool6 (start_address, end_address);
CREATE INDEX flq_pool6_by_subnet_id ON flq_pool6 (subnet_id);
CREATE TABLE free_lease6 (
    address inet PRIMARY KEY,
    bin_address bytea NOT NULL,
    modification_ts timestamp with time zone NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE UNIQUE INDEX free_lease6_bin_address ON free_lease6 (bin_address);

-- 34.0: IA_TA is gone; its leases become IA_NA ones (the triggers move
-- their counts), and what is left of it is removed.
UPDATE lease6 SET lease_type = 0 WHERE lease_type = 1;
DELETE FROM lease6_stat_by_client_class WHERE lease_type = 1;
DELETE FROM lease6_pool_stat WHERE lease_type = 1;
DELETE FROM lease6_stat WHERE lease_type = 1;
DELETE FROM lease6_types WHERE lease_type = 1;
ALTER TABLE flq_pool6 ADD CONSTRAINT fk_flq_pool6_lease6_type FOREIGN KEY (lease_type) REFERENCES lease6_types (lease_type);

UPDATE schema_version SET version = 34, minor = 0;
