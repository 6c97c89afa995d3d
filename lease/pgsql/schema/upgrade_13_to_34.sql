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

-- Functions of 34.0 that 13.0 lacks or defines otherwise: trigger bodies
-- with per-pool counts, relay/remote-id and shared free lease queue
-- helpers, dump and upload helpers with pool ids, state 4 counted.

CREATE OR REPLACE FUNCTION byteatoinet(bin_address bytea) RETURNS inet
    LANGUAGE plpgsql
    AS $$
DECLARE
    new_prefix varchar(100);
    hex_string varchar(45);
    pos SMALLINT;
BEGIN
    IF (octet_length(bin_address) != 16)
    THEN
        RETURN ('::');
    END IF;

    pos = 1;
    new_prefix = '';
    hex_string = encode(bin_address, 'hex');

    FOR i IN 0..7 LOOP
        IF (i > 0)
        THEN
            new_prefix = new_prefix || ':';
        END IF;

        new_prefix = new_prefix || substring(hex_string, pos, 4);
        pos = pos + 4;
    END LOOP;

    RETURN (new_prefix::inet);
END;
$$;

CREATE OR REPLACE FUNCTION func_lease4_adel() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM lease4_ADEL_lease4_stat_by_client_class(OLD.state, OLD.user_context);
    PERFORM lease4_ADEL_lease4_stat(OLD.state, OLD.subnet_id);
    PERFORM lease4_ADEL_lease4_pool_stat(OLD.state, OLD.subnet_id, OLD.pool_id);
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION func_lease4_ains() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM lease4_AINS_lease4_stat_by_client_class(NEW.state, NEW.user_context);
    PERFORM lease4_AINS_lease4_stat(NEW.state, NEW.subnet_id);
    PERFORM lease4_AINS_lease4_pool_stat(NEW.state, NEW.subnet_id, NEW.pool_id);
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION func_lease4_aupd() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM lease4_AUPD_lease4_stat_by_client_class(OLD.state, OLD.user_context, NEW.state, NEW.user_context);
    PERFORM lease4_AUPD_lease4_stat(OLD.state, OLD.subnet_id, NEW.state, NEW.subnet_id);
    PERFORM lease4_AUPD_lease4_pool_stat(OLD.state, OLD.subnet_id, OLD.pool_id, NEW.state, NEW.subnet_id, NEW.pool_id);
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION func_lease6_adel() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM lease6_ADEL_lease6_stat_by_client_class(OLD.state, OLD.user_context, OLD.lease_type);
    PERFORM lease6_ADEL_lease6_stat(OLD.state, OLD.subnet_id, OLD.lease_type);
    PERFORM lease6_ADEL_lease6_pool_stat(OLD.state, OLD.subnet_id, OLD.pool_id, OLD.lease_type);
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION func_lease6_ains() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM lease6_AINS_lease6_stat_by_client_class(NEW.state, NEW.user_context, NEW.lease_type);
    PERFORM lease6_AINS_lease6_stat(NEW.state, NEW.subnet_id, NEW.lease_type);
    PERFORM lease6_AINS_lease6_pool_stat(NEW.state, NEW.subnet_id, NEW.pool_id, NEW.lease_type);
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION func_lease6_aupd() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM lease6_AUPD_lease6_stat_by_client_class(OLD.state, OLD.user_context, OLD.lease_type, NEW.state, NEW.user_context, NEW.lease_type);
    PERFORM lease6_AUPD_lease6_stat(OLD.state, OLD.subnet_id, OLD.lease_type, NEW.state, NEW.subnet_id, NEW.lease_type);
    PERFORM lease6_AUPD_lease6_pool_stat(OLD.state, OLD.subnet_id, OLD.pool_id, OLD.lease_type, NEW.state, NEW.subnet_id, NEW.pool_id, NEW.lease_type);
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION hextobin(digit smallint) RETURNS smallint
    LANGUAGE plpgsql
    AS $$
DECLARE
BEGIN
    IF (digit >= 48 and digit <= 57)
    THEN
        return (digit - 48);
    END IF;

    IF (digit >= 65 and digit <= 70)
    THEN
        return (digit - 55);
    END IF;

    IF (digit >= 97 and digit <= 102)
    THEN
        return (digit - 87);
    END IF;

    RETURN (-1);
END;
$$;

CREATE OR REPLACE FUNCTION incrementv6prefix(prefix bytea, prefix_len smallint) RETURNS bytea
    LANGUAGE plpgsql
    AS $$
DECLARE
    new_prefix bytea;
    n_bytes SMALLINT;
    n_bits SMALLINT;
    mask SMALLINT;
    start_idx SMALLINT;
    tmp SMALLINT;
    i SMALLINT;
BEGIN
    IF (prefix_len < 1 OR prefix_len > 128)
    THEN
        return (prefix);
    END IF;

    new_prefix = prefix;

    n_bytes = (prefix_len - 1) / 8;
    n_bits = 8 - (prefix_len - (n_bytes * 8));
    mask = 1 << n_bits;

    start_idx = n_bytes;

    tmp = get_byte(new_prefix, start_idx) + mask;

    IF (tmp < 256)
    THEN
        new_prefix = set_byte(new_prefix, start_idx, tmp);
        RETURN (new_prefix);
    END IF;

    tmp = tmp - 256;
    new_prefix = set_byte(new_prefix, start_idx, tmp);

    i = start_idx - 1;
    WHILE i >= 0 LOOP
        tmp = get_byte(new_prefix, i) + 1;
        IF (tmp != 256)
        THEN
            new_prefix = set_byte(new_prefix, i, tmp);
            RETURN (new_prefix);
        END IF;

        new_prefix = set_byte(new_prefix, i, 0);
        i = i - 1;
    END LOOP;

    RETURN (new_prefix);
END;
$$;

CREATE OR REPLACE FUNCTION inettobytea(inet_address inet) RETURNS bytea
    LANGUAGE plpgsql
    AS $$
DECLARE
    hextets TEXT[];
    num_hextets SMALLINT;
    hextet_idx SMALLINT;
    hextet_len SMALLINT;
    hextet TEXT;
    dummy VARCHAR(256);
    bin_address bytea;
    bin_idx SMALLINT;
    digit_idx SMALLINT;
    digit SMALLINT;
    digit_place SMALLINT;
    cur_byte SMALLINT;
    num_pad SMALLINT;
    first_hextet_zero BOOLEAN := false;
BEGIN
    bin_address = '\x00000000000000000000000000000000'::bytea;

    IF (inet_address < '0000:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF'::inet)
    THEN
        inet_address = inet_address | ('FFFF::'::inet);
        first_hextet_zero = true;
    END IF;

    hextets = string_to_array(host(inet_address), ':');
    num_hextets = array_length(hextets, 1);

    IF (first_hextet_zero = true)
    THEN
        hextet_idx = 2;
        bin_idx = 2;
    ELSE
        hextet_idx = 1;
        bin_idx = 0;
    END IF;

    dummy = '';
    WHILE (hextet_idx <= num_hextets) LOOP
        hextet = hextets[hextet_idx];
        hextet_len = char_length(hextet);
        IF (hextet_len = 0)
        THEN
            num_pad = 8 - num_hextets + 1;
            bin_idx = bin_idx + (num_pad * 2);
        ELSE
            num_pad = 4 - hextet_len;
            digit_idx = 1;
            digit_place = 1;
            WHILE (digit_place <= 4) LOOP
                IF (num_pad > 0)
                THEN
                    digit = 0;
                    num_pad = num_pad - 1;
                ELSE
                    digit = hexToBin(ascii(substring(hextet from digit_idx for 1))::smallint);
                    digit_idx = digit_idx + 1;
                END IF;

                IF (digit_place = 1 or digit_place = 3)
                THEN
                    cur_byte = digit << 4;
                ELSE
                    cur_byte = cur_byte + digit;
                    select set_byte(bin_address, bin_idx, cur_byte) into bin_address;
                    bin_idx = bin_idx + 1;
                    cur_byte = 0;
                END IF;
                digit_place = digit_place + 1;
            END LOOP;
            dummy = dummy || hextet || '+';
        END IF;
        hextet_idx = hextet_idx + 1;
    END LOOP;

    RETURN (bin_address);
END;
$$;

CREATE OR REPLACE FUNCTION lease4_adel_lease4_pool_stat(old_state bigint, old_subnet_id bigint, old_pool_id bigint) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF old_state = 0 OR old_state = 1 THEN
        UPDATE lease4_pool_stat
            SET leases = GREATEST(leases - 1, 0)
            WHERE subnet_id = old_subnet_id AND pool_id = old_pool_id
            AND state = old_state;
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION lease4_ains_lease4_pool_stat(new_state bigint, new_subnet_id bigint, new_pool_id bigint) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF new_state = 0 OR new_state = 1 THEN
        UPDATE lease4_pool_stat SET leases = leases + 1
            WHERE subnet_id = new_subnet_id AND pool_id = new_pool_id
            AND state = new_state;

        IF NOT FOUND THEN
            INSERT INTO lease4_pool_stat
            VALUES (new_subnet_id, new_pool_id, new_state, 1);
        END IF;
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION lease4_aupd_lease4_pool_stat(old_state bigint, old_subnet_id bigint, old_pool_id bigint, new_state bigint, new_subnet_id bigint, new_pool_id bigint) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF old_subnet_id != new_subnet_id OR
       old_pool_id != new_pool_id OR
       old_state != new_state THEN
        IF old_state = 0 OR old_state = 1 THEN
            UPDATE lease4_pool_stat
                SET leases = GREATEST(leases - 1, 0)
                WHERE subnet_id = old_subnet_id AND pool_id = old_pool_id
                AND state = old_state;
        END IF;

        IF new_state = 0 OR new_state = 1 THEN
            UPDATE lease4_pool_stat SET leases = leases + 1
                WHERE subnet_id = new_subnet_id AND pool_id = new_pool_id
                AND state = new_state;

            IF NOT FOUND THEN
                INSERT INTO lease4_pool_stat
                VALUES (new_subnet_id, new_pool_id, new_state, 1);
            END IF;
        END IF;
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION lease4dumpdata() RETURNS TABLE(address inet, hwaddr character varying, client_id character varying, valid_lifetime bigint, expire bigint, subnet_id bigint, fqdn_fwd integer, fqdn_rev integer, hostname character varying, state bigint, user_context character varying, pool_id bigint)
    LANGUAGE sql
    AS $$
    SELECT
        ('0.0.0.0'::inet + address),
        colonSeparatedHex(encode(hwaddr, 'hex')),
        colonSeparatedHex(encode(client_id, 'hex')),
        valid_lifetime,
        extract(epoch from expire)::bigint,
        subnet_id,
        fqdn_fwd::int,
        fqdn_rev::int,
        replace(hostname, ',', '&#x2c'),
        state,
        replace(user_context, ',', '&#x2c'),
        pool_id
    FROM lease4
    ORDER BY address;
$$;

CREATE OR REPLACE FUNCTION lease4dumpheader() RETURNS text
    LANGUAGE sql
    AS $$
    select cast('address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context,pool_id' as text) as result;
$$;

CREATE OR REPLACE FUNCTION lease4upload(address character varying, hwaddr character varying, client_id character varying, valid_lifetime bigint, expire bigint, subnet_id bigint, fqdn_fwd integer, fqdn_rev integer, hostname character varying, state bigint, user_context character varying, pool_id bigint) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    INSERT INTO lease4 (
        address,
        hwaddr,
        client_id,
        valid_lifetime,
        expire,
        subnet_id,
        fqdn_fwd,
        fqdn_rev,
        hostname,
        state,
        user_context,
        pool_id
    ) VALUES (
        address::inet - '0.0.0.0'::inet,
        decode(replace(hwaddr, ':', ''), 'hex'),
        decode(replace(client_id, ':', ''), 'hex'),
        valid_lifetime,
        to_timestamp(expire),
        subnet_id,
        fqdn_fwd::int::boolean,
        fqdn_rev::int::boolean,
        replace(hostname, '&#x2c', ','),
        state,
        replace(user_context, '&#x2c', ','),
        pool_id
    );
END
$$;

CREATE OR REPLACE FUNCTION lease6_adel_lease6_pool_stat(old_state bigint, old_subnet_id bigint, old_pool_id bigint, old_lease_type smallint) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF old_state = 0 OR old_state = 1 THEN
        UPDATE lease6_pool_stat
            SET leases = GREATEST(leases - 1, 0)
            WHERE subnet_id = old_subnet_id AND pool_id = old_pool_id
            AND lease_type = old_lease_type AND state = old_state;
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION lease6_adel_lease6_stat(old_state bigint, old_subnet_id bigint, old_lease_type smallint) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF old_state = 0 OR old_state = 1 OR old_state = 4 THEN
        UPDATE lease6_stat
            SET leases = GREATEST(leases - 1, 0)
            WHERE subnet_id = old_subnet_id AND lease_type = old_lease_type
            AND state = old_state;
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION lease6_ains_lease6_pool_stat(new_state bigint, new_subnet_id bigint, new_pool_id bigint, new_lease_type smallint) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF new_state = 0 OR new_state = 1 THEN
        UPDATE lease6_pool_stat SET leases = leases + 1
            WHERE subnet_id = new_subnet_id AND pool_id = new_pool_id
            AND lease_type = new_lease_type AND state = new_state;

        IF NOT FOUND THEN
            INSERT INTO lease6_pool_stat
            VALUES (new_subnet_id, new_pool_id, new_lease_type, new_state, 1);
        END IF;
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION lease6_ains_lease6_stat(new_state bigint, new_subnet_id bigint, new_lease_type smallint) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF new_state = 0 OR new_state = 1 OR new_state = 4 THEN
        UPDATE lease6_stat SET leases = leases + 1
            WHERE subnet_id = new_subnet_id AND lease_type = new_lease_type
            AND state = new_state;

        IF NOT FOUND THEN
            INSERT INTO lease6_stat VALUES (new_subnet_id, new_lease_type, new_state, 1);
        END IF;
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION lease6_aupd_lease6_pool_stat(old_state bigint, old_subnet_id bigint, old_pool_id bigint, old_lease_type smallint, new_state bigint, new_subnet_id bigint, new_pool_id bigint, new_lease_type smallint) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF old_subnet_id != new_subnet_id OR
       old_pool_id != new_pool_id OR
       old_lease_type != new_lease_type OR
       old_state != new_state THEN
        IF old_state = 0 OR old_state = 1 THEN
            UPDATE lease6_pool_stat
                SET leases = GREATEST(leases - 1, 0)
                WHERE subnet_id = old_subnet_id AND pool_id = old_pool_id
                AND lease_type = old_lease_type AND state = old_state;
        END IF;

        IF new_state = 0 OR new_state = 1 THEN
            UPDATE lease6_pool_stat SET leases = leases + 1
                WHERE subnet_id = new_subnet_id AND pool_id = new_pool_id
                AND lease_type = new_lease_type AND state = new_state;

            IF NOT FOUND THEN
                INSERT INTO lease6_pool_stat
                VALUES (new_subnet_id, new_pool_id, new_lease_type, new_state, 1);
            END IF;
        END IF;
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION lease6_aupd_lease6_stat(old_state bigint, old_subnet_id bigint, old_lease_type smallint, new_state bigint, new_subnet_id bigint, new_lease_type smallint) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF old_subnet_id != new_subnet_id OR
       old_lease_type != new_lease_type OR
       old_state != new_state THEN
        IF old_state = 0 OR old_state = 1 OR old_state = 4 THEN
            UPDATE lease6_stat
                SET leases = GREATEST(leases - 1, 0)
                WHERE subnet_id = old_subnet_id AND lease_type = old_lease_type
                AND state = old_state;
        END IF;

        IF new_state = 0 OR new_state = 1 OR new_state = 4 THEN
            UPDATE lease6_stat SET leases = leases + 1
                WHERE subnet_id = new_subnet_id AND lease_type = new_lease_type
                AND state = new_state;

            IF NOT FOUND THEN
                INSERT INTO lease6_stat
                VALUES (new_subnet_id, new_lease_type, new_state, 1);
            END IF;
        END IF;
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION lease6dumpdata() RETURNS TABLE(address character varying, duid character varying, valid_lifetime bigint, expire bigint, subnet_id bigint, pref_lifetime bigint, lease_type smallint, iaid integer, prefix_len smallint, fqdn_fwd integer, fqdn_rev integer, hostname character varying, hwaddr character varying, state bigint, user_context character varying, hwtype smallint, hwaddr_source smallint, pool_id bigint)
    LANGUAGE sql
    AS $$
    SELECT
        HOST(address),
        colonSeparatedHex(encode(duid, 'hex')),
        valid_lifetime,
        extract(epoch from expire)::bigint,
        subnet_id,
        pref_lifetime,
        lease_type,
        iaid,
        prefix_len,
        fqdn_fwd::int,
        fqdn_rev::int,
        replace(hostname, ',', '&#x2c'),
        colonSeparatedHex(encode(hwaddr, 'hex')),
        state,
        replace(user_context, ',', '&#x2c'),
        hwtype,
        hwaddr_source,
        pool_id
    FROM lease6
    ORDER BY address;
$$;

CREATE OR REPLACE FUNCTION lease6dumpheader() RETURNS text
    LANGUAGE sql
    AS $$
    SELECT CAST('address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,fqdn_fwd,fqdn_rev,hostname,hwaddr,state,user_context,hwtype,hwaddr_source,pool_id' AS TEXT) AS result;
$$;

CREATE OR REPLACE FUNCTION lease6upload(address character varying, duid character varying, valid_lifetime bigint, expire bigint, subnet_id bigint, pref_lifetime bigint, lease_type integer, iaid integer, prefix_len integer, fqdn_fwd integer, fqdn_rev integer, hostname character varying, hwaddr character varying, state bigint, user_context character varying, hwtype integer, hwaddr_source integer, pool_id bigint) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    INSERT INTO lease6 (
        address,
        duid,
        valid_lifetime,
        expire,
        subnet_id,
        pref_lifetime,
        lease_type,
        iaid,
        prefix_len,
        fqdn_fwd,
        fqdn_rev,
        hostname,
        hwaddr,
        state,
        user_context,
        hwtype,
        hwaddr_source,
        pool_id
    ) VALUES (
        cast(address as inet),
        decode(replace(duid, ':', ''), 'hex'),
        valid_lifetime,
        to_timestamp(expire),
        subnet_id,
        pref_lifetime,
        lease_type,
        iaid,
        prefix_len,
        fqdn_fwd::int::boolean,
        fqdn_rev::int::boolean,
        replace(hostname, '&#x2c', ','),
        decode(replace(hwaddr, ':', ''), 'hex'),
        state,
        replace(user_context, '&#x2c', ','),
        hwtype,
        hwaddr_source,
        pool_id
    );
END
$$;

CREATE OR REPLACE FUNCTION sflqcreateflqpool4(p_start_address bigint, p_end_address bigint, p_subnet_id bigint, p_recreate boolean) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF (p_start_address = 0 OR p_start_address > p_end_address)
    THEN
        RAISE EXCEPTION 'Invalid range: % - %', ('0.0.0.0'::inet + p_start_address),
                        ('0.0.0.0'::inet + p_end_address);
    END IF;

    IF (p_recreate = true)
    THEN
        INSERT INTO flq_pool4 (start_address, end_address, subnet_id, last_returned_address)
           VALUES (p_start_address, p_end_address, p_subnet_id, 0)
           ON CONFLICT DO NOTHING;
    ELSE
        INSERT INTO flq_pool4 (start_address, end_address, subnet_id, last_returned_address)
           VALUES (p_start_address, p_end_address, p_subnet_id, 0);
    END IF;

    DELETE FROM free_lease4 WHERE address >= p_start_address and address <= p_end_address;

    INSERT INTO free_lease4 (address)
        SELECT avail FROM generate_series(p_start_address, p_end_address, 1) AS avail
            LEFT JOIN lease4 on avail = lease4.address
            WHERE (lease4.address IS NULL OR lease4.state = 2)
            ON CONFLICT DO NOTHING;

    UPDATE flq_pool4 SET modification_ts = now()
        WHERE (start_address = p_start_address AND end_address = p_end_address);
END;
$$;

CREATE OR REPLACE FUNCTION sflqcreateflqpool6(p_start_address inet, p_end_address inet, p_lease_type smallint, p_delegated_len smallint, p_subnet_id bigint, p_recreate boolean) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    current_ts TIMESTAMP WITH TIME ZONE := now();
    p_end_bin BYTEA := inetToBytea(p_end_address);
    batch_start_address INET := p_start_address;
    batch_start_bin BYTEA := inetToBytea(p_start_address);
    max_prefixes_per_batch INTEGER := 10000;
    last_bin BYTEA;
    next_bin BYTEA;
    x_pool_id BIGINT;
    pool_changed INTEGER;
BEGIN
    IF ((p_start_address = '::'::inet) OR (p_start_address > p_end_address))
    THEN
        RAISE EXCEPTION 'Invalid range: % - %', host(p_start_address), host(p_end_address);
    END IF;

    IF (p_delegated_len < 1 OR p_delegated_len > 128)
    THEN
        RAISE EXCEPTION 'Invalid p_delegated_len: %', p_delegated_len;
    END IF;

    pool_changed = 0;
    IF (p_recreate = false)
    THEN
        x_pool_id = NULL;
        SELECT id INTO x_pool_id
            FROM flq_pool6
            WHERE (start_address = p_start_address AND
                   end_address = p_end_address AND
                   delegated_len != p_delegated_len)
            FOR UPDATE;

        IF (x_pool_id IS NOT NULL)
        THEN
            pool_changed = 1;
        END IF;
    END IF;

    IF (p_recreate = true OR pool_changed = 1)
    THEN
        INSERT INTO flq_pool6
            (start_address, end_address, lease_type, delegated_len, subnet_id)
            VALUES
            (p_start_address, p_end_address, p_lease_type, p_delegated_len, p_subnet_id)
            ON CONFLICT (start_address, end_address) DO UPDATE SET
                    lease_type = p_lease_type,
                    delegated_len = p_delegated_len,
                    subnet_id = p_subnet_id;
    ELSE
        INSERT INTO flq_pool6
            (start_address, end_address, lease_type, delegated_len, subnet_id)
            VALUES
            (p_start_address, p_end_address, p_lease_type, p_delegated_len, p_subnet_id);
    END IF;

    DELETE FROM free_lease6 WHERE address >= p_start_address and address <= p_end_address;

    WHILE batch_start_address <= p_end_address
    LOOP
        WITH RECURSIVE prefixes(depth, bin_address, address) AS (
            SELECT 1, batch_start_bin, batch_start_address
            UNION ALL
            SELECT prefixes.depth + 1,
                   next_prefix.bin_address,
                   byteaToInet(next_prefix.bin_address)
            FROM prefixes,
                LATERAL (SELECT incrementV6Prefix(prefixes.bin_address, p_delegated_len)
                    AS bin_address) AS next_prefix
            WHERE (next_prefix.bin_address > prefixes.bin_address AND 
                   next_prefix.bin_address < p_end_bin AND
                   prefixes.depth < max_prefixes_per_batch)
        ),
        ins AS (
            INSERT INTO free_lease6(address, bin_address)
                SELECT p.address, p.bin_address
                FROM prefixes p
                LEFT JOIN lease6 l
                    ON l.address = p.address AND l.state != 2
                WHERE l.address IS NULL
                ON CONFLICT DO NOTHING
                RETURNING 1
        )
        SELECT last_prefix.bin_address INTO STRICT last_bin
            FROM (
                SELECT bin_address
                FROM prefixes
                ORDER BY depth DESC
                LIMIT 1
            ) AS last_prefix;

        next_bin := incrementV6Prefix(last_bin, p_delegated_len);

        IF next_bin > p_end_bin OR next_bin < last_bin
        THEN
            EXIT;
        END IF;

        batch_start_bin := next_bin;
        batch_start_address := byteaToInet(next_bin);
    END LOOP;

    UPDATE flq_pool6 SET modification_ts = now()
        WHERE (start_address = p_start_address AND end_address = p_end_address);
END;
$$;

CREATE OR REPLACE FUNCTION sflqdeletelease4(p_address bigint, p_expire timestamp with time zone) RETURNS integer
    LANGUAGE plpgsql
    AS $$
DECLARE
    lease_row_count INTEGER;
BEGIN
    DELETE FROM lease4 WHERE address = p_address AND expire = p_expire;

    GET DIAGNOSTICS lease_row_count = ROW_COUNT;

    IF (lease_row_count > 0)
    THEN
        INSERT INTO free_lease4 (address) VALUES (p_address)
            ON CONFLICT DO NOTHING;
    END IF;

    RETURN (lease_row_count);
END;
$$;

CREATE OR REPLACE FUNCTION sflqdeletelease6(p_address inet, p_expire timestamp with time zone) RETURNS integer
    LANGUAGE plpgsql
    AS $$
DECLARE
    lease_row_count INTEGER;
BEGIN
    DELETE FROM lease6 WHERE address = p_address AND expire = p_expire;

    GET DIAGNOSTICS lease_row_count = ROW_COUNT;

    IF (lease_row_count > 0)
    THEN
        INSERT INTO free_lease6 (address, bin_address)
            VALUES (p_address, inetToBytea(p_address))
            ON CONFLICT DO NOTHING;
    END IF;

    RETURN (lease_row_count);
END;
$$;

CREATE OR REPLACE FUNCTION sflqinsertlease4(p_address bigint, p_hwaddr bytea, p_client_id bytea, p_valid_lifetime bigint, p_expire timestamp with time zone, p_subnet_id bigint, p_fqdn_fwd boolean, p_fqdn_rev boolean, p_hostname character varying, p_state bigint, p_user_context text, p_relay_id bytea, p_remote_id bytea, p_pool_id bigint) RETURNS integer
    LANGUAGE plpgsql
    AS $$
DECLARE
    lease_row_count INTEGER;
BEGIN
    INSERT INTO lease4 (address, hwaddr, client_id, valid_lifetime, expire,
                        subnet_id, fqdn_fwd, fqdn_rev, hostname, state,
                        user_context, relay_id, remote_id, pool_id)
         VALUES ( p_address, p_hwaddr, p_client_id, p_valid_lifetime, p_expire,
                  p_subnet_id, p_fqdn_fwd, p_fqdn_rev, p_hostname, p_state,
                  p_user_context, p_relay_id, p_remote_id, p_pool_id);

    GET DIAGNOSTICS lease_row_count = ROW_COUNT;

    IF (lease_row_count > 0)
    THEN
        IF (p_state = 2)
        THEN
            INSERT INTO free_lease4 (address) VALUES (p_address)
                ON CONFLICT DO NOTHING;
        ELSE
            DELETE FROM free_lease4 WHERE address = p_address;
        END IF;
    END IF;

    RETURN (lease_row_count);
END;
$$;

CREATE OR REPLACE FUNCTION sflqinsertlease6(p_address inet, p_duid bytea, p_valid_lifetime bigint, p_expire timestamp with time zone, p_subnet_id bigint, p_pref_lifetime bigint, p_lease_type smallint, p_iaid integer, p_prefix_len smallint, p_fqdn_fwd boolean, p_fqdn_rev boolean, p_hostname character varying, p_hwaddr bytea, p_hwtype smallint, p_hwaddr_source smallint, p_state bigint, p_user_context text, p_pool_id bigint) RETURNS integer
    LANGUAGE plpgsql
    AS $$
DECLARE
    lease_row_count INTEGER;
BEGIN
    INSERT INTO lease6 (address, duid, valid_lifetime, expire, subnet_id,
                        pref_lifetime, lease_type, iaid, prefix_len, fqdn_fwd,
                        fqdn_rev, hostname, hwaddr, hwtype, hwaddr_source,
                        state, user_context, pool_id)
         VALUES (p_address, p_duid, p_valid_lifetime, p_expire, p_subnet_id,
                 p_pref_lifetime, p_lease_type, p_iaid, p_prefix_len, p_fqdn_fwd,
                 p_fqdn_rev, p_hostname, p_hwaddr, p_hwtype, p_hwaddr_source,
                 p_state, p_user_context, p_pool_id);

    GET DIAGNOSTICS lease_row_count = ROW_COUNT;

    IF (lease_row_count > 0)
    THEN
        IF (p_state = 2)
        THEN
            INSERT INTO free_lease6 (address, bin_address)
                VALUES (p_address, inetToBytea(p_address))
                ON CONFLICT DO NOTHING;
        ELSE
            DELETE FROM free_lease6 WHERE address = p_address;
        END IF;
    END IF;

    RETURN (lease_row_count);
END;
$$;

CREATE OR REPLACE FUNCTION sflqpickfreelease4(p_start_address bigint, p_end_address bigint) RETURNS bigint
    LANGUAGE plpgsql
    AS $$
DECLARE
    pool_id BIGINT;
    last_address BIGINT;
    free_address BIGINT;
BEGIN
    free_address = 0;

    SELECT id, last_returned_address INTO pool_id, last_address
        FROM flq_pool4
        WHERE start_address = p_start_address
        AND end_address = p_end_address;

    IF (pool_id IS NULL)
    THEN
        RETURN free_address;
    END IF;

    IF (last_address < p_start_address or last_address >= p_end_address)
    THEN
       last_address = p_start_address - 1;
    END IF;

    SELECT f.address INTO free_address FROM free_lease4 f
        WHERE (f.address > last_address and f.address <= p_end_address)
        ORDER BY f.address
        LIMIT 1;

    IF (free_address IS NULL)
    THEN
        SELECT f.address INTO free_address FROM free_lease4 f
            WHERE (f.address >= p_start_address AND f.address <= last_address)
            ORDER BY f.address
            LIMIT 1;
    END IF;

    IF (free_address IS NULL)
    THEN
        free_address = 0;
    END IF;

    UPDATE flq_pool4 SET last_returned_address = free_address
        WHERE id = pool_id;

    RETURN free_address;
END;
$$;

CREATE OR REPLACE FUNCTION sflqpickfreelease6(alloc_start_address inet, alloc_end_address inet) RETURNS inet
    LANGUAGE plpgsql
    AS $$
DECLARE
    pool_id BIGINT;
    last_address INET;
    free_address INET;

    bin_start_address BYTEA;
    bin_end_address BYTEA;
    bin_last_address BYTEA;
BEGIN

    SELECT id, last_returned_address INTO pool_id, last_address
        FROM flq_pool6
        WHERE start_address = alloc_start_address
        AND end_address = alloc_end_address;

    IF (pool_id IS NULL)
    THEN
        RETURN ("::");
    END IF;

    bin_start_address = inetToBytea(alloc_start_address);
    bin_end_address = inetToBytea(alloc_end_address);
    IF (last_address < alloc_start_address OR last_address >= alloc_end_address)
    THEN
        last_address = alloc_start_address - 1;
    END IF;

    bin_last_address = inetToBytea(last_address);
    SELECT f.address INTO free_address FROM free_lease6 f
        WHERE (f.bin_address > bin_last_address AND
               f.bin_address <= bin_end_address)
        ORDER BY f.bin_address
        LIMIT 1;

    IF (free_address IS NULL)
    THEN
        SELECT f.address INTO free_address FROM free_lease6 f
            WHERE (f.bin_address >= bin_start_address AND
                   f.bin_address <= bin_last_address)
            ORDER BY f.bin_address
            LIMIT 1;
    END IF;

    IF (free_address IS NULL)
    THEN
        free_address = '::'::inet;
    END IF;

    UPDATE flq_pool6 SET last_returned_address = free_address
        WHERE id = pool_id;

    RETURN free_address;
END;
$$;

CREATE OR REPLACE FUNCTION sflqupdatelease4(p_address bigint, p_hwaddr bytea, p_client_id bytea, p_valid_lifetime bigint, p_expire timestamp with time zone, p_subnet_id bigint, p_fqdn_fwd boolean, p_fqdn_rev boolean, p_hostname character varying, p_state bigint, p_user_context text, p_relay_id bytea, p_remote_id bytea, p_pool_id bigint, p_where_address bigint, p_where_expire timestamp with time zone) RETURNS integer
    LANGUAGE plpgsql
    AS $$
DECLARE
    lease_row_count INTEGER;
BEGIN
    UPDATE lease4 SET address = p_address, hwaddr = p_hwaddr, client_id = p_client_id,
                      valid_lifetime = p_valid_lifetime, expire = p_expire,
                      subnet_id = p_subnet_id, fqdn_fwd = p_fqdn_fwd,
                      fqdn_rev = p_fqdn_rev, hostname = p_hostname, state = p_state,
                      user_context = p_user_context, relay_id = p_relay_id,
                      remote_id = p_remote_id, pool_id = p_pool_id
        WHERE (address = p_where_address and expire = p_where_expire);

    GET DIAGNOSTICS lease_row_count = ROW_COUNT;

    IF (lease_row_count > 0)
    THEN
        IF (p_state = 2)
        THEN
            INSERT INTO free_lease4 (address) VALUES (p_address)
                ON CONFLICT DO NOTHING;
        ELSE
            DELETE FROM free_lease4 WHERE address = p_address;
        END IF;
    END IF;

    RETURN (lease_row_count);
END;
$$;

CREATE OR REPLACE FUNCTION sflqupdatelease6(p_address inet, p_duid bytea, p_valid_lifetime bigint, p_expire timestamp with time zone, p_subnet_id bigint, p_pref_lifetime bigint, p_lease_type smallint, p_iaid integer, p_prefix_len smallint, p_fqdn_fwd boolean, p_fqdn_rev boolean, p_hostname character varying, p_hwaddr bytea, p_hwtype smallint, p_hwaddr_source smallint, p_state bigint, p_user_context text, p_pool_id bigint, p_where_address inet, p_where_expire timestamp with time zone) RETURNS integer
    LANGUAGE plpgsql
    AS $$
DECLARE
    lease_row_count INTEGER;
BEGIN
    UPDATE lease6
        SET address = p_address, duid = p_duid, valid_lifetime = p_valid_lifetime,
            expire = p_expire, subnet_id = p_subnet_id, pref_lifetime = p_pref_lifetime,
            lease_type = p_lease_type, iaid = p_iaid, prefix_len = p_prefix_len,
            fqdn_fwd = p_fqdn_fwd, fqdn_rev = p_fqdn_rev, hostname = p_hostname,
            hwaddr =  p_hwaddr, hwtype = p_hwtype, hwaddr_source = p_hwaddr_source,
            state = p_state, user_context = p_user_context, pool_id = p_pool_id
        WHERE (address = p_where_address and expire = p_where_expire);

    GET DIAGNOSTICS lease_row_count = ROW_COUNT;

    IF (lease_row_count > 0)
    THEN
        IF (p_state = 2)
        THEN
            INSERT INTO free_lease6 (address, bin_address)
                VALUES (p_address, inetToBytea(p_address))
                ON CONFLICT DO NOTHING;
        ELSE
            DELETE FROM free_lease6 WHERE address = p_address;
        END IF;
    END IF;

    RETURN (lease_row_count);
END;
$$;

CREATE OR REPLACE FUNCTION texttojsonlist(orig text) RETURNS text
    LANGUAGE plpgsql
    AS $$
DECLARE
BEGIN
    IF orig = '' OR orig IS NULL THEN
        RETURN NULL;
    END IF;

    RETURN CONCAT('[ "', orig, '" ]');
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
