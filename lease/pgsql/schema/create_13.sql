-- Kea's PostgreSQL schema 13.0, as Kea 2.2's `kea-admin db-init pgsql`
-- leaves a database: the same tables, columns, types, defaults,
-- constraints, indexes, triggers, function signatures and lookup rows,
-- which kea-dhcp4, kea-dhcp6, kea-admin and Kea's configuration backend
-- read and write. Init runs it in one transaction, with function bodies
-- checked only when they first run (they name tables created further on).
--
-- The function bodies are leased's own: each does what Kea's function of
-- that name is documented and observed to do (schema_test.go runs the same
-- statements on this schema and on kea-admin's and compares the rows),
-- not the way Kea's does it.

-- Session values. Kea's configuration backend hands values from one
-- statement to the next (the audit revision, whether a delete cascades,
-- what a client class depended on before an update) in custom settings
-- named kea.*, which last for the connection.

CREATE FUNCTION get_session_value(name text) RETURNS text
    LANGUAGE plpgsql
    AS $$
BEGIN
    -- A setting this session never made reads as NULL, not as an error.
    RETURN current_setting(name, true);
END;
$$;

CREATE FUNCTION get_session_big_int(name text) RETURNS bigint
    LANGUAGE plpgsql
    AS $$
DECLARE
    raw text := get_session_value(name);
BEGIN
    -- Unset reads as 0: "no audit revision yet", "no class updated".
    IF coalesce(raw, '') = '' THEN
        RETURN 0;
    END IF;
    RETURN raw::bigint;
EXCEPTION WHEN OTHERS THEN
    RAISE EXCEPTION 'session setting % holds %, which is not an integer (%)', name, quote_nullable(raw), SQLERRM;
END;
$$;

CREATE FUNCTION get_session_boolean(name text) RETURNS boolean
    LANGUAGE plpgsql
    AS $$
DECLARE
    raw text := get_session_value(name);
BEGIN
    -- Unset reads as false: audit on, no cascade.
    IF coalesce(raw, '') = '' THEN
        RETURN false;
    END IF;
    RETURN raw::boolean;
EXCEPTION WHEN OTHERS THEN
    RAISE EXCEPTION 'session setting % holds %, which is not a boolean (%)', name, quote_nullable(raw), SQLERRM;
END;
$$;

-- The three setters differ only in the type of the value; each stores
-- its text for the rest of the session (not only the transaction: Kea
-- reads some of them in a later statement of its own transaction or in
-- the next one).

CREATE FUNCTION set_session_value(name text, value boolean) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM set_config(name, value::text, false);
EXCEPTION WHEN OTHERS THEN
    RAISE EXCEPTION 'set session setting % to %: %', name, quote_nullable(value), SQLERRM;
END;
$$;

CREATE FUNCTION set_session_value(name text, value bigint) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM set_config(name, value::text, false);
EXCEPTION WHEN OTHERS THEN
    RAISE EXCEPTION 'set session setting % to %: %', name, quote_nullable(value), SQLERRM;
END;
$$;

CREATE FUNCTION set_session_value(name text, value text) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM set_config(name, value, false);
EXCEPTION WHEN OTHERS THEN
    RAISE EXCEPTION 'set session setting % to %: %', name, quote_nullable(value), SQLERRM;
END;
$$;

-- Small helpers Kea's statements and the functions below use.

CREATE FUNCTION json_cast(json_candidate text) RETURNS json
    LANGUAGE plpgsql
    AS $$
BEGIN
    -- Kea writes an empty user context as '', which is not JSON; it
    -- means an empty object. NULL stays NULL.
    IF json_candidate = '' THEN
        RETURN json '{}';
    END IF;
    RETURN json_candidate::json;
END;
$$;

CREATE FUNCTION isjsonsupported() RETURNS boolean
    LANGUAGE plpgsql
    AS $$
DECLARE
    supported boolean;
BEGIN
    -- Servers before 9.3 had no JSON operators, and the lease triggers
    -- count client classes only where they have. The answer is also left
    -- in the session as kea.json_supported, where Kea looks for it.
    supported := EXISTS (SELECT 1 FROM pg_catalog.pg_proc WHERE proname = 'json_extract_path');
    PERFORM set_session_value('kea.json_supported', supported);
    RETURN supported;
END;
$$;

CREATE FUNCTION gmt_epoch(input_ts timestamp with time zone) RETURNS bigint
    LANGUAGE plpgsql
    AS $$
BEGIN
    -- Seconds since 1970 of the time as the session's time zone's clock
    -- shows it, read as if that clock were UTC's: Kea compares these with
    -- its own local time.
    RETURN extract(epoch FROM input_ts::timestamp without time zone)::bigint;
EXCEPTION WHEN OTHERS THEN
    RAISE EXCEPTION 'gmt_epoch(%): %', input_ts, SQLERRM;
END;
$$;

CREATE FUNCTION colonseparatedhex(hex text) RETURNS text
    LANGUAGE plpgsql
    AS $$
DECLARE
    digits text := lower(hex);
BEGIN
    -- Whole bytes: an odd count of digits gets a leading zero.
    IF length(digits) % 2 = 1 THEN
        digits := '0' || digits;
    END IF;
    -- A colon after every pair of digits that is not the last.
    RETURN regexp_replace(digits, '(..)(?=.)', '\1:', 'g');
END;
$$;

-- Lease counts. lease4_stat and lease6_stat count the leases of each
-- subnet in the states 0 (in use) and 1 (declined); the *_by_client_class
-- tables count leases in use per client class named in the lease's user
-- context (ISC.client-classes), for the class lease limits. A count never
-- goes below zero, and a count that reaches zero stays as a row.
-- INSERT ... ON CONFLICT makes the first lease of a subnet or class safe
-- from two servers writing at once.

CREATE FUNCTION lease4_ains_lease4_stat(new_state bigint, new_subnet_id bigint) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF new_state IN (0, 1) THEN
        INSERT INTO lease4_stat AS s (subnet_id, state, leases)
            VALUES (new_subnet_id, new_state, 1)
            ON CONFLICT (subnet_id, state) DO UPDATE SET leases = s.leases + 1;
    END IF;
END;
$$;

CREATE FUNCTION lease4_adel_lease4_stat(old_state bigint, old_subnet_id bigint) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF old_state IN (0, 1) THEN
        UPDATE lease4_stat
            SET leases = CASE WHEN leases > 0 THEN leases - 1 ELSE 0 END
            WHERE subnet_id = old_subnet_id AND state = old_state;
    END IF;
END;
$$;

CREATE FUNCTION lease4_aupd_lease4_stat(old_state bigint, old_subnet_id bigint, new_state bigint, new_subnet_id bigint) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    -- A lease that moves is uncounted where it was and counted where it
    -- is. (An unknown, NULL, state or subnet is not a move.)
    IF old_state <> new_state OR old_subnet_id <> new_subnet_id THEN
        PERFORM lease4_adel_lease4_stat(old_state, old_subnet_id);
        PERFORM lease4_ains_lease4_stat(new_state, new_subnet_id);
    END IF;
END;
$$;

CREATE FUNCTION lease4_ains_lease4_stat_by_client_class(new_state bigint, new_user_context text) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    class lease4_stat_by_client_class.client_class%TYPE;
BEGIN
    IF new_state <> 0 THEN
        RETURN;
    END IF;
    -- A class is its JSON text without the quotes; a class listed twice
    -- counts twice.
    FOR class IN
        SELECT btrim(c::text, '"') FROM json_array_elements(json_cast(new_user_context) -> 'ISC' -> 'client-classes') AS c
    LOOP
        INSERT INTO lease4_stat_by_client_class AS s (client_class, leases) VALUES (class, 1)
            ON CONFLICT (client_class) DO UPDATE SET leases = s.leases + 1;
    END LOOP;
END;
$$;

CREATE FUNCTION lease4_adel_lease4_stat_by_client_class(old_state bigint, old_user_context text) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    class lease4_stat_by_client_class.client_class%TYPE;
BEGIN
    IF old_state <> 0 THEN
        RETURN;
    END IF;
    FOR class IN
        SELECT btrim(c::text, '"') FROM json_array_elements(json_cast(old_user_context) -> 'ISC' -> 'client-classes') AS c
    LOOP
        UPDATE lease4_stat_by_client_class
            SET leases = CASE WHEN leases > 0 THEN leases - 1 ELSE 0 END
            WHERE client_class = class;
    END LOOP;
END;
$$;

CREATE FUNCTION lease4_aupd_lease4_stat_by_client_class(old_state bigint, old_user_context text, new_state bigint, new_user_context text) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    old_classes text := json_cast(old_user_context) -> 'ISC' -> 'client-classes';
    new_classes text := json_cast(new_user_context) -> 'ISC' -> 'client-classes';
BEGIN
    -- The class lists count as changed only when both leases have one
    -- and their texts differ: a lease whose list appears or disappears
    -- while its state stays keeps its counts, as on Kea's own schema
    -- (kea-admin stats-recount counts them anew).
    IF old_state <> new_state OR old_classes <> new_classes THEN
        PERFORM lease4_adel_lease4_stat_by_client_class(old_state, old_user_context);
        PERFORM lease4_ains_lease4_stat_by_client_class(new_state, new_user_context);
    END IF;
END;
$$;

CREATE FUNCTION lease6_ains_lease6_stat(new_state bigint, new_subnet_id bigint, new_lease_type smallint) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF new_state IN (0, 1) THEN
        INSERT INTO lease6_stat AS s (subnet_id, lease_type, state, leases)
            VALUES (new_subnet_id, new_lease_type, new_state, 1)
            ON CONFLICT (subnet_id, lease_type, state) DO UPDATE SET leases = s.leases + 1;
    END IF;
END;
$$;

CREATE FUNCTION lease6_adel_lease6_stat(old_state bigint, old_subnet_id bigint, old_lease_type smallint) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF old_state IN (0, 1) THEN
        UPDATE lease6_stat
            SET leases = CASE WHEN leases > 0 THEN leases - 1 ELSE 0 END
            WHERE subnet_id = old_subnet_id AND lease_type = old_lease_type AND state = old_state;
    END IF;
END;
$$;

CREATE FUNCTION lease6_aupd_lease6_stat(old_state bigint, old_subnet_id bigint, old_lease_type smallint, new_state bigint, new_subnet_id bigint, new_lease_type smallint) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF old_state <> new_state OR old_subnet_id <> new_subnet_id OR old_lease_type <> new_lease_type THEN
        PERFORM lease6_adel_lease6_stat(old_state, old_subnet_id, old_lease_type);
        PERFORM lease6_ains_lease6_stat(new_state, new_subnet_id, new_lease_type);
    END IF;
END;
$$;

CREATE FUNCTION lease6_ains_lease6_stat_by_client_class(new_state bigint, new_user_context text, new_lease_type smallint) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    class lease6_stat_by_client_class.client_class%TYPE;
BEGIN
    IF new_state <> 0 THEN
        RETURN;
    END IF;
    FOR class IN
        SELECT btrim(c::text, '"') FROM json_array_elements(json_cast(new_user_context) -> 'ISC' -> 'client-classes') AS c
    LOOP
        INSERT INTO lease6_stat_by_client_class AS s (client_class, lease_type, leases) VALUES (class, new_lease_type, 1)
            ON CONFLICT (client_class, lease_type) DO UPDATE SET leases = s.leases + 1;
    END LOOP;
END;
$$;

CREATE FUNCTION lease6_adel_lease6_stat_by_client_class(old_state bigint, old_user_context text, old_lease_type smallint) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    class lease6_stat_by_client_class.client_class%TYPE;
BEGIN
    IF old_state <> 0 THEN
        RETURN;
    END IF;
    FOR class IN
        SELECT btrim(c::text, '"') FROM json_array_elements(json_cast(old_user_context) -> 'ISC' -> 'client-classes') AS c
    LOOP
        UPDATE lease6_stat_by_client_class
            SET leases = CASE WHEN leases > 0 THEN leases - 1 ELSE 0 END
            WHERE client_class = class AND lease_type = old_lease_type;
    END LOOP;
END;
$$;

CREATE FUNCTION lease6_aupd_lease6_stat_by_client_class(old_state bigint, old_user_context text, old_lease_type smallint, new_state bigint, new_user_context text, new_lease_type smallint) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    old_classes text := json_cast(old_user_context) -> 'ISC' -> 'client-classes';
    new_classes text := json_cast(new_user_context) -> 'ISC' -> 'client-classes';
BEGIN
    -- As for IPv4 leases: a list that appears or disappears is no change.
    IF old_state <> new_state OR old_classes <> new_classes OR old_lease_type <> new_lease_type THEN
        PERFORM lease6_adel_lease6_stat_by_client_class(old_state, old_user_context, old_lease_type);
        PERFORM lease6_ains_lease6_stat_by_client_class(new_state, new_user_context, new_lease_type);
    END IF;
END;
$$;

-- The lease tables' triggers (lease4_ains, ...): class counts where the
-- server has JSON, subnet counts always.

CREATE FUNCTION func_lease4_ains() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF isjsonsupported() THEN
        PERFORM lease4_ains_lease4_stat_by_client_class(NEW.state, NEW.user_context);
    END IF;
    PERFORM lease4_ains_lease4_stat(NEW.state, NEW.subnet_id);
    RETURN NULL; -- an AFTER trigger: the row is written already
END;
$$;

CREATE FUNCTION func_lease4_aupd() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF isjsonsupported() THEN
        PERFORM lease4_aupd_lease4_stat_by_client_class(OLD.state, OLD.user_context, NEW.state, NEW.user_context);
    END IF;
    PERFORM lease4_aupd_lease4_stat(OLD.state, OLD.subnet_id, NEW.state, NEW.subnet_id);
    RETURN NULL;
END;
$$;

CREATE FUNCTION func_lease4_adel() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF isjsonsupported() THEN
        PERFORM lease4_adel_lease4_stat_by_client_class(OLD.state, OLD.user_context);
    END IF;
    PERFORM lease4_adel_lease4_stat(OLD.state, OLD.subnet_id);
    RETURN NULL;
END;
$$;

CREATE FUNCTION func_lease6_ains() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF isjsonsupported() THEN
        PERFORM lease6_ains_lease6_stat_by_client_class(NEW.state, NEW.user_context, NEW.lease_type);
    END IF;
    PERFORM lease6_ains_lease6_stat(NEW.state, NEW.subnet_id, NEW.lease_type);
    RETURN NULL;
END;
$$;

CREATE FUNCTION func_lease6_aupd() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF isjsonsupported() THEN
        PERFORM lease6_aupd_lease6_stat_by_client_class(OLD.state, OLD.user_context, OLD.lease_type,
            NEW.state, NEW.user_context, NEW.lease_type);
    END IF;
    PERFORM lease6_aupd_lease6_stat(OLD.state, OLD.subnet_id, OLD.lease_type, NEW.state, NEW.subnet_id, NEW.lease_type);
    RETURN NULL;
END;
$$;

CREATE FUNCTION func_lease6_adel() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF isjsonsupported() THEN
        PERFORM lease6_adel_lease6_stat_by_client_class(OLD.state, OLD.user_context, OLD.lease_type);
    END IF;
    PERFORM lease6_adel_lease6_stat(OLD.state, OLD.subnet_id, OLD.lease_type);
    RETURN NULL;
END;
$$;

-- Trigger functions of older schemas, which no trigger of 13.0 runs; kept
-- because 13.0 has them. Each counts one lease change in the subnet
-- counts only (no client classes), as the lease tables' triggers did
-- before the class counts.

CREATE FUNCTION proc_stat_lease4_insert() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM lease4_ains_lease4_stat(NEW.state, NEW.subnet_id);
    RETURN NULL;
END;
$$;

CREATE FUNCTION proc_stat_lease4_update() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM lease4_aupd_lease4_stat(OLD.state, OLD.subnet_id, NEW.state, NEW.subnet_id);
    RETURN NULL;
END;
$$;

CREATE FUNCTION proc_stat_lease4_delete() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM lease4_adel_lease4_stat(OLD.state, OLD.subnet_id);
    RETURN NULL;
END;
$$;

CREATE FUNCTION proc_stat_lease6_insert() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM lease6_ains_lease6_stat(NEW.state, NEW.subnet_id, NEW.lease_type);
    RETURN NULL;
END;
$$;

CREATE FUNCTION proc_stat_lease6_update() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM lease6_aupd_lease6_stat(OLD.state, OLD.subnet_id, OLD.lease_type, NEW.state, NEW.subnet_id, NEW.lease_type);
    RETURN NULL;
END;
$$;

CREATE FUNCTION proc_stat_lease6_delete() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM lease6_adel_lease6_stat(OLD.state, OLD.subnet_id, OLD.lease_type);
    RETURN NULL;
END;
$$;

-- Lease limits (Kea's limits hook): before writing a lease, Kea passes
-- its user context, whose ISC.limits names the client classes and the
-- subnet with their limits; the answer is '' when none is reached, or
-- the text Kea logs for the first one that is. A limit or subnet id that
-- is not a JSON number (null, "5") is an error, as on Kea's schema.

CREATE FUNCTION checklease4limits(user_context text) RETURNS text
    LANGUAGE plpgsql
    AS $$
DECLARE
    limits json := json_cast(user_context) -> 'ISC' -> 'limits';
    class_limit json;
    class text;
    cap integer;
    used bigint;
    subnet integer;
BEGIN
    FOR class_limit IN SELECT * FROM json_array_elements(limits -> 'client-classes') LOOP
        cap := (class_limit -> 'address-limit')::text::integer;
        CONTINUE WHEN cap IS NULL;
        class := btrim((class_limit -> 'name')::text, '"');
        used := coalesce((SELECT leases FROM lease4_stat_by_client_class WHERE client_class = class), 0);
        IF used >= cap THEN
            RETURN format('address limit %s for client class "%s", current lease count %s', cap, class, used);
        END IF;
    END LOOP;

    subnet := (limits -> 'subnet' -> 'id')::text::integer;
    cap := (limits -> 'subnet' -> 'address-limit')::text::integer;
    IF cap IS NOT NULL THEN
        used := coalesce((SELECT leases FROM lease4_stat WHERE subnet_id = subnet AND state = 0), 0);
        IF used >= cap THEN
            RETURN format('address limit %s for subnet ID %s, current lease count %s', cap, subnet, used);
        END IF;
    END IF;
    RETURN '';
END;
$$;

CREATE FUNCTION checklease6limits(user_context text) RETURNS text
    LANGUAGE plpgsql
    AS $$
DECLARE
    limits json := json_cast(user_context) -> 'ISC' -> 'limits';
    class_limit json;
    class text;
    cap integer;
    used bigint;
    subnet integer;
    -- Addresses are lease type 0 (IA_NA), prefixes 2 (IA_PD).
    kinds CONSTANT text[] := ARRAY['address', 'prefix'];
    kind text;
BEGIN
    FOR class_limit IN SELECT * FROM json_array_elements(limits -> 'client-classes') LOOP
        class := btrim((class_limit -> 'name')::text, '"');
        FOREACH kind IN ARRAY kinds LOOP
            cap := (class_limit -> (kind || '-limit'))::text::integer;
            CONTINUE WHEN cap IS NULL;
            used := coalesce((SELECT leases FROM lease6_stat_by_client_class
                WHERE client_class = class AND lease_type = CASE kind WHEN 'address' THEN 0 ELSE 2 END), 0);
            IF used >= cap THEN
                RETURN format('%s limit %s for client class "%s", current lease count %s', kind, cap, class, used);
            END IF;
        END LOOP;
    END LOOP;

    subnet := (limits -> 'subnet' -> 'id')::text::integer;
    FOREACH kind IN ARRAY kinds LOOP
        cap := (limits -> 'subnet' -> (kind || '-limit'))::text::integer;
        CONTINUE WHEN cap IS NULL;
        used := coalesce((SELECT leases FROM lease6_stat WHERE subnet_id = subnet AND state = 0
            AND lease_type = CASE kind WHEN 'address' THEN 0 ELSE 2 END), 0);
        IF used >= cap THEN
            RETURN format('%s limit %s for subnet ID %s, current lease count %s', kind, cap, subnet, used);
        END IF;
    END LOOP;
    RETURN '';
END;
$$;

-- kea-admin lease-dump and lease-upload. The dump is CSV in the columns
-- of Kea's memfile lease files: addresses as text, binary identifiers as
-- colon-separated hex, times as seconds since 1970, booleans as 0 or 1,
-- and commas in text escaped as &#x2c so that they do not split a field.
-- Upload takes one such row back.

CREATE FUNCTION lease4dumpheader() RETURNS text
    LANGUAGE sql
    AS $$
    SELECT text 'address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context';
$$;

CREATE FUNCTION lease4dumpdata() RETURNS TABLE(address inet, hwaddr character varying, client_id character varying, valid_lifetime bigint, expire bigint, subnet_id bigint, fqdn_fwd integer, fqdn_rev integer, hostname character varying, state bigint, user_context character varying)
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
           replace(l.user_context, ',', '&#x2c')
      FROM lease4 AS l
     ORDER BY l.address;
$$;

CREATE FUNCTION lease4upload(address character varying, hwaddr character varying, client_id character varying, valid_lifetime bigint, expire bigint, subnet_id bigint, fqdn_fwd integer, fqdn_rev integer, hostname character varying, state bigint, user_context character varying) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    INSERT INTO lease4 (address, hwaddr, client_id, valid_lifetime, expire, subnet_id,
                        fqdn_fwd, fqdn_rev, hostname, state, user_context)
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
           replace(lease4upload.user_context, '&#x2c', ',');
END;
$$;

CREATE FUNCTION lease6dumpheader() RETURNS text
    LANGUAGE sql
    AS $$
    SELECT text 'address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,fqdn_fwd,fqdn_rev,hostname,hwaddr,state,user_context,hwtype,hwaddr_source';
$$;

CREATE FUNCTION lease6dumpdata() RETURNS TABLE(address character varying, duid character varying, valid_lifetime bigint, expire bigint, subnet_id bigint, pref_lifetime bigint, lease_type smallint, iaid integer, prefix_len smallint, fqdn_fwd integer, fqdn_rev integer, hostname character varying, hwaddr character varying, state bigint, user_context character varying, hwtype smallint, hwaddr_source smallint)
    LANGUAGE sql
    AS $$
    SELECT l.address,
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
           l.hwaddr_source
      FROM lease6 AS l
     ORDER BY l.address;
$$;

CREATE FUNCTION lease6upload(address character varying, duid character varying, valid_lifetime bigint, expire bigint, subnet_id bigint, pref_lifetime bigint, lease_type integer, iaid integer, prefix_len integer, fqdn_fwd integer, fqdn_rev integer, hostname character varying, hwaddr character varying, state bigint, user_context character varying, hwtype integer, hwaddr_source integer) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    INSERT INTO lease6 (address, duid, valid_lifetime, expire, subnet_id, pref_lifetime, lease_type,
                        iaid, prefix_len, fqdn_fwd, fqdn_rev, hostname, hwaddr, state, user_context,
                        hwtype, hwaddr_source)
    SELECT lease6upload.address,
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
           lease6upload.hwaddr_source;
END;
$$;

-- The DHCPv4 configuration backend (Kea's cb_cmds and pgsql_cb hooks;
-- Kea 2.2 in Debian has them not, Kea 3.x has). Every change to a
-- configuration object gets a row in dhcp4_audit, under the revision the
-- backend opened with createauditrevisiondhcp4, unless the session set
-- kea.disable_audit; servers poll the audit to learn what changed.

CREATE FUNCTION createauditrevisiondhcp4(audit_ts timestamp with time zone, server_tag character varying, audit_log_message text, cascade_transaction boolean) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    revision bigint;
BEGIN
    IF get_session_boolean('kea.disable_audit') THEN
        RETURN;
    END IF;
    INSERT INTO dhcp4_audit_revision (modification_ts, server_id, log_message)
        VALUES (audit_ts, (SELECT s.id FROM dhcp4_server AS s WHERE s.tag = server_tag), audit_log_message)
        RETURNING id INTO revision;
    -- The audit entries of the statements that follow belong to it; a
    -- cascade (a subnet deleted with its pools and options) is recorded
    -- as the change of the object deleted alone.
    PERFORM set_session_value('kea.audit_revision_id', revision);
    PERFORM set_session_value('kea.cascade_transaction', cascade_transaction);
END;
$$;

CREATE FUNCTION createauditentrydhcp4(object_type_val character varying, object_id_val bigint, modification_type_val character varying) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    kind smallint;
BEGIN
    IF get_session_boolean('kea.disable_audit') THEN
        RETURN;
    END IF;
    SELECT m.id INTO kind FROM modification AS m WHERE m.modification_type = modification_type_val;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'audit of % %: no modification type %', object_type_val, object_id_val, quote_nullable(modification_type_val)
            USING ERRCODE = 'not_null_violation';
    END IF;
    INSERT INTO dhcp4_audit (object_type, object_id, modification_type, revision_id)
        VALUES (object_type_val, object_id_val, kind, get_session_big_int('kea.audit_revision_id'));
END;
$$;

CREATE FUNCTION createoptionauditdhcp4(modification_type character varying, scope_id smallint, option_id integer, p_subnet_id bigint, host_id integer, network_name character varying, pool_id bigint, p_modification_ts timestamp with time zone) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    owner_subnet bigint;
BEGIN
    -- In a cascade the deleted owner's own entry covers its options.
    IF get_session_boolean('kea.cascade_transaction') THEN
        RETURN;
    END IF;
    -- Only global options have audit entries of their own; an option of a
    -- subnet, shared network or pool touches its owner's modification
    -- time, whose update trigger records the owner as updated. Host
    -- options (scope 3) and client class options are not audited here.
    CASE scope_id
    WHEN 0 THEN
        PERFORM createauditentrydhcp4('dhcp4_options', option_id, modification_type);
    WHEN 1 THEN
        owner_subnet := p_subnet_id;
    WHEN 4 THEN
        UPDATE dhcp4_shared_network SET modification_ts = p_modification_ts
            WHERE id = (SELECT n.id FROM dhcp4_shared_network AS n WHERE n.name = network_name LIMIT 1);
    WHEN 5 THEN
        SELECT p.subnet_id INTO owner_subnet FROM dhcp4_pool AS p WHERE p.id = createoptionauditdhcp4.pool_id;
    ELSE
        NULL;
    END CASE;
    IF owner_subnet IS NOT NULL THEN
        UPDATE dhcp4_subnet SET modification_ts = p_modification_ts WHERE subnet_id = owner_subnet;
    END IF;
END;
$$;

-- The audit triggers: the object type is the table's name.

CREATE FUNCTION func_dhcp4_global_parameter_ains() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM createauditentrydhcp4(TG_TABLE_NAME::varchar, NEW.id, 'create');
    RETURN NULL;
END;
$$;

CREATE FUNCTION func_dhcp4_global_parameter_aupd() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM createauditentrydhcp4(TG_TABLE_NAME::varchar, NEW.id, 'update');
    RETURN NULL;
END;
$$;

CREATE FUNCTION func_dhcp4_global_parameter_adel() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM createauditentrydhcp4(TG_TABLE_NAME::varchar, OLD.id, 'delete');
    RETURN NULL;
END;
$$;

CREATE FUNCTION func_dhcp4_option_def_ains() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM createauditentrydhcp4(TG_TABLE_NAME::varchar, NEW.id, 'create');
    RETURN NULL;
END;
$$;

CREATE FUNCTION func_dhcp4_option_def_aupd() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM createauditentrydhcp4(TG_TABLE_NAME::varchar, NEW.id, 'update');
    RETURN NULL;
END;
$$;

CREATE FUNCTION func_dhcp4_option_def_adel() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM createauditentrydhcp4(TG_TABLE_NAME::varchar, OLD.id, 'delete');
    RETURN NULL;
END;
$$;

CREATE FUNCTION func_dhcp4_server_ains() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM createauditentrydhcp4(TG_TABLE_NAME::varchar, NEW.id, 'create');
    RETURN NULL;
END;
$$;

CREATE FUNCTION func_dhcp4_server_aupd() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM createauditentrydhcp4(TG_TABLE_NAME::varchar, NEW.id, 'update');
    RETURN NULL;
END;
$$;

CREATE FUNCTION func_dhcp4_server_adel() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM createauditentrydhcp4(TG_TABLE_NAME::varchar, OLD.id, 'delete');
    RETURN NULL;
END;
$$;

CREATE FUNCTION func_dhcp4_shared_network_ains() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM createauditentrydhcp4(TG_TABLE_NAME::varchar, NEW.id, 'create');
    RETURN NULL;
END;
$$;

CREATE FUNCTION func_dhcp4_shared_network_aupd() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM createauditentrydhcp4(TG_TABLE_NAME::varchar, NEW.id, 'update');
    RETURN NULL;
END;
$$;

-- No trigger runs this one: a shared network's delete is recorded by
-- func_dhcp4_shared_network_bdel, before its subnets are let go.
CREATE FUNCTION func_dhcp4_shared_network_adel() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM createauditentrydhcp4(TG_TABLE_NAME::varchar, OLD.id, 'delete');
    RETURN NULL;
END;
$$;

CREATE FUNCTION func_dhcp4_shared_network_bdel() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM createauditentrydhcp4(TG_TABLE_NAME::varchar, OLD.id, 'delete');
    -- Its subnets stay, outside any network; its options go (the foreign
    -- keys name no network).
    UPDATE dhcp4_subnet SET shared_network_name = NULL WHERE shared_network_name = OLD.name;
    DELETE FROM dhcp4_options WHERE shared_network_name = OLD.name;
    RETURN OLD;
END;
$$;

CREATE FUNCTION func_dhcp4_subnet_ains() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM createauditentrydhcp4(TG_TABLE_NAME::varchar, NEW.subnet_id, 'create');
    RETURN NULL;
END;
$$;

CREATE FUNCTION func_dhcp4_subnet_aupd() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM createauditentrydhcp4(TG_TABLE_NAME::varchar, NEW.subnet_id, 'update');
    RETURN NULL;
END;
$$;

CREATE FUNCTION func_dhcp4_subnet_bdel() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM createauditentrydhcp4(TG_TABLE_NAME::varchar, OLD.subnet_id, 'delete');
    -- The subnet's pools (with their options) and options go with it.
    DELETE FROM dhcp4_pool WHERE subnet_id = OLD.subnet_id;
    DELETE FROM dhcp4_options WHERE dhcp4_subnet_id = OLD.subnet_id;
    RETURN OLD;
END;
$$;

CREATE FUNCTION func_dhcp4_pool_bdel() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    -- A pool's options (scope 5) go with it.
    DELETE FROM dhcp4_options WHERE scope_id = 5 AND pool_id = OLD.id;
    RETURN OLD;
END;
$$;

CREATE FUNCTION func_dhcp4_options_ains() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM createoptionauditdhcp4('create', NEW.scope_id, NEW.option_id, NEW.dhcp4_subnet_id,
        NEW.host_id, NEW.shared_network_name, NEW.pool_id, NEW.modification_ts);
    RETURN NULL;
END;
$$;

CREATE FUNCTION func_dhcp4_options_aupd() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM createoptionauditdhcp4('update', NEW.scope_id, NEW.option_id, NEW.dhcp4_subnet_id,
        NEW.host_id, NEW.shared_network_name, NEW.pool_id, NEW.modification_ts);
    RETURN NULL;
END;
$$;

CREATE FUNCTION func_dhcp4_options_adel() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    -- A deleted option has no modification time of its own: its owner
    -- was modified now.
    PERFORM createoptionauditdhcp4('delete', OLD.scope_id, OLD.option_id, OLD.dhcp4_subnet_id,
        OLD.host_id, OLD.shared_network_name, OLD.pool_id, now());
    RETURN NULL;
END;
$$;

-- Client classes are evaluated in an order (dhcp4_client_class_order): a
-- class after the one its follow_class_name names, or last, and always
-- after the classes it depends on (dhcp4_client_class_dependency, filled
-- by Kea after the class is written). A class that depends on the
-- built-in KNOWN or UNKNOWN classes, directly (depend_on_known_directly)
-- or through a class it depends on (depend_on_known_indirectly), must
-- keep doing so while other classes depend on it.

CREATE FUNCTION func_dhcp4_client_class_ains() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM setclientclass4order(NEW.id, NEW.follow_class_name, NULL);
    PERFORM createauditentrydhcp4(TG_TABLE_NAME::varchar, NEW.id, 'create');
    RETURN NULL;
END;
$$;

CREATE FUNCTION func_dhcp4_client_class_aupd() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    -- What the class was, for checkdhcpv4clientclassknowndependencychange,
    -- which Kea calls once it has written the class's dependencies again.
    PERFORM set_session_value('kea.depend_on_known_directly', OLD.depend_on_known_directly);
    PERFORM set_session_value('kea.client_class_id', NEW.id);
    PERFORM setclientclass4order(NEW.id, NEW.follow_class_name, OLD.follow_class_name);
    PERFORM createauditentrydhcp4(TG_TABLE_NAME::varchar, NEW.id, 'update');
    RETURN NULL;
END;
$$;

CREATE FUNCTION func_dhcp4_client_class_adel() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM createauditentrydhcp4(TG_TABLE_NAME::varchar, OLD.id, 'delete');
    RETURN NULL;
END;
$$;

CREATE FUNCTION func_dhcp4_client_class_check_dependency_bins() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM checkdhcpv4clientclassdependency(NEW.class_id, NEW.dependency_id);
    RETURN NEW; -- a BEFORE trigger: the row is written as it is
END;
$$;

CREATE FUNCTION func_dhcp4_client_class_dependency_ains() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM updatedhcpv4clientclassknowndependency(NEW.class_id, NEW.dependency_id);
    RETURN NULL;
END;
$$;

CREATE FUNCTION setclientclass4order(id bigint, new_follow_class_name character varying, old_follow_class_name character varying) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    was_indirect boolean; -- NULL: the class has no place yet
    after_index bigint;   -- the class goes right after this place
BEGIN
    SELECT o.depend_on_known_indirectly INTO was_indirect
        FROM dhcp4_client_class_order AS o WHERE o.class_id = setclientclass4order.id;
    PERFORM set_session_value('kea.depend_on_known_indirectly', was_indirect);

    IF was_indirect IS NOT NULL AND new_follow_class_name IS NOT DISTINCT FROM old_follow_class_name THEN
        -- The class keeps its place. Kea writes its dependencies again
        -- next, and their insert trigger sets the flag anew.
        UPDATE dhcp4_client_class_order SET depend_on_known_indirectly = false
            WHERE class_id = setclientclass4order.id;
        RETURN;
    END IF;

    IF new_follow_class_name IS NULL THEN
        SELECT coalesce(max(o.order_index), 0) INTO after_index FROM dhcp4_client_class_order AS o;
    ELSE
        SELECT o.order_index INTO after_index
            FROM dhcp4_client_class AS c JOIN dhcp4_client_class_order AS o ON o.class_id = c.id
            WHERE c.name = new_follow_class_name;
        IF after_index IS NULL THEN
            RAISE EXCEPTION 'client class % to follow does not exist', quote_literal(new_follow_class_name)
                USING ERRCODE = 'sql_routine_exception';
        END IF;
        -- Make room after it, when the place is taken.
        IF EXISTS (SELECT 1 FROM dhcp4_client_class_order AS o WHERE o.order_index = after_index + 1) THEN
            UPDATE dhcp4_client_class_order SET order_index = order_index + 1 WHERE order_index > after_index;
        END IF;
    END IF;

    IF EXISTS (SELECT 1 FROM dhcp4_client_class_dependency AS d
                 JOIN dhcp4_client_class_order AS o ON o.class_id = d.class_id
                WHERE d.dependency_id = setclientclass4order.id AND o.order_index <= after_index) THEN
        RAISE EXCEPTION 'client class % cannot move after position %: classes that depend on it would come before it',
            setclientclass4order.id, after_index USING ERRCODE = 'sql_routine_exception';
    END IF;

    -- A class new to the order has no dependencies yet.
    INSERT INTO dhcp4_client_class_order AS o (class_id, order_index, depend_on_known_indirectly)
        VALUES (setclientclass4order.id, after_index + 1, false)
        ON CONFLICT (class_id) DO UPDATE SET order_index = EXCLUDED.order_index;
END;
$$;

CREATE FUNCTION checkdhcpv4clientclassdependency(p_class_id bigint, p_dependency_id bigint) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    class_index bigint;
    dependency_index bigint;
BEGIN
    IF p_class_id IS NULL OR p_dependency_id IS NULL THEN
        RAISE EXCEPTION 'client class dependency of % on %: both ids are needed', p_class_id, p_dependency_id
            USING ERRCODE = 'sql_routine_exception';
    END IF;
    IF p_class_id = p_dependency_id THEN
        RAISE EXCEPTION 'client class % cannot depend on itself', p_class_id
            USING ERRCODE = 'sql_routine_exception';
    END IF;
    -- Every class has a place (its insert trigger gives it one).
    SELECT order_index INTO class_index FROM dhcp4_client_class_order WHERE class_id = p_class_id;
    IF class_index IS NULL THEN
        RAISE EXCEPTION 'client class % does not exist', p_class_id USING ERRCODE = 'sql_routine_exception';
    END IF;
    SELECT order_index INTO dependency_index FROM dhcp4_client_class_order WHERE class_id = p_dependency_id;
    IF dependency_index IS NULL THEN
        RAISE EXCEPTION 'client class % that % depends on does not exist', p_dependency_id, p_class_id
            USING ERRCODE = 'sql_routine_exception';
    END IF;
    IF dependency_index > class_index THEN
        RAISE EXCEPTION 'client class % cannot depend on class %, which comes after it', p_class_id, p_dependency_id
            USING ERRCODE = 'sql_routine_exception';
    END IF;
    -- Each server the class is for needs the dependency too: for that
    -- server or for all (server 1).
    IF EXISTS (SELECT 1 FROM dhcp4_client_class_server AS mine
                WHERE mine.class_id = p_class_id
                  AND NOT EXISTS (SELECT 1 FROM dhcp4_client_class_server AS theirs
                                   WHERE theirs.class_id = p_dependency_id
                                     AND theirs.server_id IN (1, mine.server_id))) THEN
        RAISE EXCEPTION 'client class % depends on class %, which is not on all of its servers', p_class_id, p_dependency_id
            USING ERRCODE = 'sql_routine_exception';
    END IF;
END;
$$;

CREATE FUNCTION updatedhcpv4clientclassknowndependency(client_class_id bigint, dependency_id bigint) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    direct boolean;
    indirect boolean;
BEGIN
    SELECT c.depend_on_known_directly, o.depend_on_known_indirectly INTO direct, indirect
        FROM dhcp4_client_class AS c LEFT JOIN dhcp4_client_class_order AS o ON o.class_id = c.id
        WHERE c.id = updatedhcpv4clientclassknowndependency.dependency_id;
    -- Depending on a class that depends on KNOWN is depending on KNOWN.
    IF direct OR (NOT direct AND indirect) THEN
        UPDATE dhcp4_client_class_order SET depend_on_known_indirectly = true
            WHERE class_id = updatedhcpv4clientclassknowndependency.client_class_id;
    END IF;
END;
$$;

CREATE FUNCTION checkdhcpv4clientclassknowndependencychange() RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    updated bigint := get_session_big_int('kea.client_class_id');
    before boolean;
    after boolean;
BEGIN
    -- Only a class others depend on is held to what it depended on.
    IF NOT EXISTS (SELECT 1 FROM dhcp4_client_class_dependency WHERE dependency_id = updated) THEN
        RETURN;
    END IF;
    -- Before: as the class's update trigger left it in the session.
    before := get_session_boolean('kea.depend_on_known_directly') OR get_session_boolean('kea.depend_on_known_indirectly');
    SELECT depend_on_known_directly INTO after FROM dhcp4_client_class WHERE id = updated;
    IF NOT after THEN
        SELECT depend_on_known_indirectly INTO after FROM dhcp4_client_class_order WHERE class_id = updated;
    END IF;
    IF before <> after THEN
        RAISE EXCEPTION 'client class % must keep % on the KNOWN or UNKNOWN class: other classes depend on it',
            updated, CASE WHEN before THEN 'depending' ELSE 'not depending' END
            USING ERRCODE = 'sql_routine_exception';
    END IF;
END;
$$;

-- The DHCPv6 configuration backend: as the DHCPv4 one above. Every change to a
-- configuration object gets a row in dhcp6_audit, under the revision the
-- backend opened with createauditrevisiondhcp6, unless the session set
-- kea.disable_audit; servers poll the audit to learn what changed.

CREATE FUNCTION createauditrevisiondhcp6(audit_ts timestamp with time zone, server_tag character varying, audit_log_message text, cascade_transaction boolean) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    revision bigint;
BEGIN
    IF get_session_boolean('kea.disable_audit') THEN
        RETURN;
    END IF;
    INSERT INTO dhcp6_audit_revision (modification_ts, server_id, log_message)
        VALUES (audit_ts, (SELECT s.id FROM dhcp6_server AS s WHERE s.tag = server_tag), audit_log_message)
        RETURNING id INTO revision;
    -- The audit entries of the statements that follow belong to it; a
    -- cascade (a subnet deleted with its pools and options) is recorded
    -- as the change of the object deleted alone.
    PERFORM set_session_value('kea.audit_revision_id', revision);
    PERFORM set_session_value('kea.cascade_transaction', cascade_transaction);
END;
$$;

CREATE FUNCTION createauditentrydhcp6(object_type_val character varying, object_id_val bigint, modification_type_val character varying) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    kind smallint;
BEGIN
    IF get_session_boolean('kea.disable_audit') THEN
        RETURN;
    END IF;
    SELECT m.id INTO kind FROM modification AS m WHERE m.modification_type = modification_type_val;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'audit of % %: no modification type %', object_type_val, object_id_val, quote_nullable(modification_type_val)
            USING ERRCODE = 'not_null_violation';
    END IF;
    INSERT INTO dhcp6_audit (object_type, object_id, modification_type, revision_id)
        VALUES (object_type_val, object_id_val, kind, get_session_big_int('kea.audit_revision_id'));
END;
$$;

CREATE FUNCTION createoptionauditdhcp6(modification_type character varying, scope_id smallint, option_id integer, p_subnet_id bigint, host_id integer, network_name character varying, pool_id bigint, pd_pool_id bigint, p_modification_ts timestamp with time zone) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    owner_subnet bigint;
BEGIN
    -- In a cascade the deleted owner's own entry covers its options.
    IF get_session_boolean('kea.cascade_transaction') THEN
        RETURN;
    END IF;
    -- Only global options have audit entries of their own; an option of a
    -- subnet, shared network, pool or prefix pool touches its owner's modification
    -- time, whose update trigger records the owner as updated. Host
    -- options (scope 3) and client class options are not audited here.
    CASE scope_id
    WHEN 0 THEN
        PERFORM createauditentrydhcp6('dhcp6_options', option_id, modification_type);
    WHEN 1 THEN
        owner_subnet := p_subnet_id;
    WHEN 4 THEN
        UPDATE dhcp6_shared_network SET modification_ts = p_modification_ts
            WHERE id = (SELECT n.id FROM dhcp6_shared_network AS n WHERE n.name = network_name LIMIT 1);
    WHEN 5 THEN
        SELECT p.subnet_id INTO owner_subnet FROM dhcp6_pool AS p WHERE p.id = createoptionauditdhcp6.pool_id;
    WHEN 6 THEN
        SELECT p.subnet_id INTO owner_subnet FROM dhcp6_pd_pool AS p WHERE p.id = createoptionauditdhcp6.pd_pool_id;
    ELSE
        NULL;
    END CASE;
    IF owner_subnet IS NOT NULL THEN
        UPDATE dhcp6_subnet SET modification_ts = p_modification_ts WHERE subnet_id = owner_subnet;
    END IF;
END;
$$;

-- The audit triggers: the object type is the table's name.

CREATE FUNCTION func_dhcp6_global_parameter_ains() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM createauditentrydhcp6(TG_TABLE_NAME::varchar, NEW.id, 'create');
    RETURN NULL;
END;
$$;

CREATE FUNCTION func_dhcp6_global_parameter_aupd() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM createauditentrydhcp6(TG_TABLE_NAME::varchar, NEW.id, 'update');
    RETURN NULL;
END;
$$;

CREATE FUNCTION func_dhcp6_global_parameter_adel() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM createauditentrydhcp6(TG_TABLE_NAME::varchar, OLD.id, 'delete');
    RETURN NULL;
END;
$$;

CREATE FUNCTION func_dhcp6_option_def_ains() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM createauditentrydhcp6(TG_TABLE_NAME::varchar, NEW.id, 'create');
    RETURN NULL;
END;
$$;

CREATE FUNCTION func_dhcp6_option_def_aupd() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM createauditentrydhcp6(TG_TABLE_NAME::varchar, NEW.id, 'update');
    RETURN NULL;
END;
$$;

CREATE FUNCTION func_dhcp6_option_def_adel() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM createauditentrydhcp6(TG_TABLE_NAME::varchar, OLD.id, 'delete');
    RETURN NULL;
END;
$$;

CREATE FUNCTION func_dhcp6_server_ains() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM createauditentrydhcp6(TG_TABLE_NAME::varchar, NEW.id, 'create');
    RETURN NULL;
END;
$$;

CREATE FUNCTION func_dhcp6_server_aupd() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM createauditentrydhcp6(TG_TABLE_NAME::varchar, NEW.id, 'update');
    RETURN NULL;
END;
$$;

CREATE FUNCTION func_dhcp6_server_adel() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM createauditentrydhcp6(TG_TABLE_NAME::varchar, OLD.id, 'delete');
    RETURN NULL;
END;
$$;

CREATE FUNCTION func_dhcp6_shared_network_ains() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM createauditentrydhcp6(TG_TABLE_NAME::varchar, NEW.id, 'create');
    RETURN NULL;
END;
$$;

CREATE FUNCTION func_dhcp6_shared_network_aupd() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM createauditentrydhcp6(TG_TABLE_NAME::varchar, NEW.id, 'update');
    RETURN NULL;
END;
$$;

-- No trigger runs this one: a shared network's delete is recorded by
-- func_dhcp6_shared_network_bdel, before its subnets are let go.
CREATE FUNCTION func_dhcp6_shared_network_adel() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM createauditentrydhcp6(TG_TABLE_NAME::varchar, OLD.id, 'delete');
    RETURN NULL;
END;
$$;

CREATE FUNCTION func_dhcp6_shared_network_bdel() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM createauditentrydhcp6(TG_TABLE_NAME::varchar, OLD.id, 'delete');
    -- Its subnets stay, outside any network; its options go (the foreign
    -- keys name no network).
    UPDATE dhcp6_subnet SET shared_network_name = NULL WHERE shared_network_name = OLD.name;
    DELETE FROM dhcp6_options WHERE shared_network_name = OLD.name;
    RETURN OLD;
END;
$$;

CREATE FUNCTION func_dhcp6_subnet_ains() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM createauditentrydhcp6(TG_TABLE_NAME::varchar, NEW.subnet_id, 'create');
    RETURN NULL;
END;
$$;

CREATE FUNCTION func_dhcp6_subnet_aupd() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM createauditentrydhcp6(TG_TABLE_NAME::varchar, NEW.subnet_id, 'update');
    RETURN NULL;
END;
$$;

CREATE FUNCTION func_dhcp6_subnet_bdel() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM createauditentrydhcp6(TG_TABLE_NAME::varchar, OLD.subnet_id, 'delete');
    -- The subnet's pools and prefix pools (with their options) and
    -- options go with it.
    DELETE FROM dhcp6_pool WHERE subnet_id = OLD.subnet_id;
    DELETE FROM dhcp6_pd_pool WHERE subnet_id = OLD.subnet_id;
    DELETE FROM dhcp6_options WHERE dhcp6_subnet_id = OLD.subnet_id;
    RETURN OLD;
END;
$$;

CREATE FUNCTION func_dhcp6_pool_bdel() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    -- A pool's options (scope 5) go with it.
    DELETE FROM dhcp6_options WHERE scope_id = 5 AND pool_id = OLD.id;
    RETURN OLD;
END;
$$;

CREATE FUNCTION func_dhcp6_pd_pool_bdel() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    -- A prefix pool's options (scope 6) go with it.
    DELETE FROM dhcp6_options WHERE scope_id = 6 AND pd_pool_id = OLD.id;
    RETURN OLD;
END;
$$;

CREATE FUNCTION func_dhcp6_options_ains() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM createoptionauditdhcp6('create', NEW.scope_id, NEW.option_id, NEW.dhcp6_subnet_id,
        NEW.host_id, NEW.shared_network_name, NEW.pool_id, NEW.pd_pool_id, NEW.modification_ts);
    RETURN NULL;
END;
$$;

CREATE FUNCTION func_dhcp6_options_aupd() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM createoptionauditdhcp6('update', NEW.scope_id, NEW.option_id, NEW.dhcp6_subnet_id,
        NEW.host_id, NEW.shared_network_name, NEW.pool_id, NEW.pd_pool_id, NEW.modification_ts);
    RETURN NULL;
END;
$$;

CREATE FUNCTION func_dhcp6_options_adel() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    -- A deleted option has no modification time of its own: its owner
    -- was modified now.
    PERFORM createoptionauditdhcp6('delete', OLD.scope_id, OLD.option_id, OLD.dhcp6_subnet_id,
        OLD.host_id, OLD.shared_network_name, OLD.pool_id, OLD.pd_pool_id, now());
    RETURN NULL;
END;
$$;

-- Client classes are evaluated in an order (dhcp6_client_class_order): a
-- class after the one its follow_class_name names, or last, and always
-- after the classes it depends on (dhcp6_client_class_dependency, filled
-- by Kea after the class is written). A class that depends on the
-- built-in KNOWN or UNKNOWN classes, directly (depend_on_known_directly)
-- or through a class it depends on (depend_on_known_indirectly), must
-- keep doing so while other classes depend on it.

CREATE FUNCTION func_dhcp6_client_class_ains() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM setclientclass6order(NEW.id, NEW.follow_class_name, NULL);
    PERFORM createauditentrydhcp6(TG_TABLE_NAME::varchar, NEW.id, 'create');
    RETURN NULL;
END;
$$;

CREATE FUNCTION func_dhcp6_client_class_aupd() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    -- What the class was, for checkdhcpv6clientclassknowndependencychange,
    -- which Kea calls once it has written the class's dependencies again.
    PERFORM set_session_value('kea.depend_on_known_directly', OLD.depend_on_known_directly);
    PERFORM set_session_value('kea.client_class_id', NEW.id);
    PERFORM setclientclass6order(NEW.id, NEW.follow_class_name, OLD.follow_class_name);
    PERFORM createauditentrydhcp6(TG_TABLE_NAME::varchar, NEW.id, 'update');
    RETURN NULL;
END;
$$;

CREATE FUNCTION func_dhcp6_client_class_adel() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM createauditentrydhcp6(TG_TABLE_NAME::varchar, OLD.id, 'delete');
    RETURN NULL;
END;
$$;

CREATE FUNCTION func_dhcp6_client_class_check_dependency_bins() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM checkdhcpv6clientclassdependency(NEW.class_id, NEW.dependency_id);
    RETURN NEW; -- a BEFORE trigger: the row is written as it is
END;
$$;

CREATE FUNCTION func_dhcp6_client_class_dependency_ains() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM updatedhcpv6clientclassknowndependency(NEW.class_id, NEW.dependency_id);
    RETURN NULL;
END;
$$;

CREATE FUNCTION setclientclass6order(id bigint, new_follow_class_name character varying, old_follow_class_name character varying) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    was_indirect boolean; -- NULL: the class has no place yet
    after_index bigint;   -- the class goes right after this place
BEGIN
    SELECT o.depend_on_known_indirectly INTO was_indirect
        FROM dhcp6_client_class_order AS o WHERE o.class_id = setclientclass6order.id;
    PERFORM set_session_value('kea.depend_on_known_indirectly', was_indirect);

    IF was_indirect IS NOT NULL AND new_follow_class_name IS NOT DISTINCT FROM old_follow_class_name THEN
        -- The class keeps its place. Kea writes its dependencies again
        -- next, and their insert trigger sets the flag anew.
        UPDATE dhcp6_client_class_order SET depend_on_known_indirectly = false
            WHERE class_id = setclientclass6order.id;
        RETURN;
    END IF;

    IF new_follow_class_name IS NULL THEN
        SELECT coalesce(max(o.order_index), 0) INTO after_index FROM dhcp6_client_class_order AS o;
    ELSE
        SELECT o.order_index INTO after_index
            FROM dhcp6_client_class AS c JOIN dhcp6_client_class_order AS o ON o.class_id = c.id
            WHERE c.name = new_follow_class_name;
        IF after_index IS NULL THEN
            RAISE EXCEPTION 'client class % to follow does not exist', quote_literal(new_follow_class_name)
                USING ERRCODE = 'sql_routine_exception';
        END IF;
        -- Make room after it, when the place is taken.
        IF EXISTS (SELECT 1 FROM dhcp6_client_class_order AS o WHERE o.order_index = after_index + 1) THEN
            UPDATE dhcp6_client_class_order SET order_index = order_index + 1 WHERE order_index > after_index;
        END IF;
    END IF;

    IF EXISTS (SELECT 1 FROM dhcp6_client_class_dependency AS d
                 JOIN dhcp6_client_class_order AS o ON o.class_id = d.class_id
                WHERE d.dependency_id = setclientclass6order.id AND o.order_index <= after_index) THEN
        RAISE EXCEPTION 'client class % cannot move after position %: classes that depend on it would come before it',
            setclientclass6order.id, after_index USING ERRCODE = 'sql_routine_exception';
    END IF;

    -- A class new to the order has no dependencies yet.
    INSERT INTO dhcp6_client_class_order AS o (class_id, order_index, depend_on_known_indirectly)
        VALUES (setclientclass6order.id, after_index + 1, false)
        ON CONFLICT (class_id) DO UPDATE SET order_index = EXCLUDED.order_index;
END;
$$;

CREATE FUNCTION checkdhcpv6clientclassdependency(p_class_id bigint, p_dependency_id bigint) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    class_index bigint;
    dependency_index bigint;
BEGIN
    IF p_class_id IS NULL OR p_dependency_id IS NULL THEN
        RAISE EXCEPTION 'client class dependency of % on %: both ids are needed', p_class_id, p_dependency_id
            USING ERRCODE = 'sql_routine_exception';
    END IF;
    IF p_class_id = p_dependency_id THEN
        RAISE EXCEPTION 'client class % cannot depend on itself', p_class_id
            USING ERRCODE = 'sql_routine_exception';
    END IF;
    -- Every class has a place (its insert trigger gives it one).
    SELECT order_index INTO class_index FROM dhcp6_client_class_order WHERE class_id = p_class_id;
    IF class_index IS NULL THEN
        RAISE EXCEPTION 'client class % does not exist', p_class_id USING ERRCODE = 'sql_routine_exception';
    END IF;
    SELECT order_index INTO dependency_index FROM dhcp6_client_class_order WHERE class_id = p_dependency_id;
    IF dependency_index IS NULL THEN
        RAISE EXCEPTION 'client class % that % depends on does not exist', p_dependency_id, p_class_id
            USING ERRCODE = 'sql_routine_exception';
    END IF;
    IF dependency_index > class_index THEN
        RAISE EXCEPTION 'client class % cannot depend on class %, which comes after it', p_class_id, p_dependency_id
            USING ERRCODE = 'sql_routine_exception';
    END IF;
    -- Each server the class is for needs the dependency too: for that
    -- server or for all (server 1).
    IF EXISTS (SELECT 1 FROM dhcp6_client_class_server AS mine
                WHERE mine.class_id = p_class_id
                  AND NOT EXISTS (SELECT 1 FROM dhcp6_client_class_server AS theirs
                                   WHERE theirs.class_id = p_dependency_id
                                     AND theirs.server_id IN (1, mine.server_id))) THEN
        RAISE EXCEPTION 'client class % depends on class %, which is not on all of its servers', p_class_id, p_dependency_id
            USING ERRCODE = 'sql_routine_exception';
    END IF;
END;
$$;

CREATE FUNCTION updatedhcpv6clientclassknowndependency(client_class_id bigint, dependency_id bigint) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    direct boolean;
    indirect boolean;
BEGIN
    SELECT c.depend_on_known_directly, o.depend_on_known_indirectly INTO direct, indirect
        FROM dhcp6_client_class AS c LEFT JOIN dhcp6_client_class_order AS o ON o.class_id = c.id
        WHERE c.id = updatedhcpv6clientclassknowndependency.dependency_id;
    -- Depending on a class that depends on KNOWN is depending on KNOWN.
    IF direct OR (NOT direct AND indirect) THEN
        UPDATE dhcp6_client_class_order SET depend_on_known_indirectly = true
            WHERE class_id = updatedhcpv6clientclassknowndependency.client_class_id;
    END IF;
END;
$$;

CREATE FUNCTION checkdhcpv6clientclassknowndependencychange() RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    updated bigint := get_session_big_int('kea.client_class_id');
    before boolean;
    after boolean;
BEGIN
    -- Only a class others depend on is held to what it depended on.
    IF NOT EXISTS (SELECT 1 FROM dhcp6_client_class_dependency WHERE dependency_id = updated) THEN
        RETURN;
    END IF;
    -- Before: as the class's update trigger left it in the session.
    before := get_session_boolean('kea.depend_on_known_directly') OR get_session_boolean('kea.depend_on_known_indirectly');
    SELECT depend_on_known_directly INTO after FROM dhcp6_client_class WHERE id = updated;
    IF NOT after THEN
        SELECT depend_on_known_indirectly INTO after FROM dhcp6_client_class_order WHERE class_id = updated;
    END IF;
    IF before <> after THEN
        RAISE EXCEPTION 'client class % must keep % on the KNOWN or UNKNOWN class: other classes depend on it',
            updated, CASE WHEN before THEN 'depending' ELSE 'not depending' END
            USING ERRCODE = 'sql_routine_exception';
    END IF;
END;
$$;

-- The modification-time triggers of the configuration tables. Kea runs
-- them AFTER UPDATE, when the row is written and cannot change any more,
-- so they change nothing: Kea's statements set modification_ts
-- themselves. (Run on a table without that column, dhcp4_audit's, it
-- fails, as Kea's does.)
CREATE FUNCTION modification_ts_update() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    NEW.modification_ts := now();
    RETURN NEW;
END;
$$;

SET default_tablespace = '';

SET default_table_access_method = heap;

-- Tables, their sequences and column defaults.

CREATE TABLE ddns_replace_client_name_types (
    type bigint NOT NULL,
    name character varying(32)
);

CREATE TABLE dhcp4_audit (
    id integer NOT NULL,
    object_type character varying(256) NOT NULL,
    object_id bigint NOT NULL,
    modification_type smallint NOT NULL,
    revision_id bigint NOT NULL
);

CREATE SEQUENCE dhcp4_audit_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE dhcp4_audit_id_seq OWNED BY dhcp4_audit.id;

CREATE TABLE dhcp4_audit_revision (
    id integer NOT NULL,
    modification_ts timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    log_message text,
    server_id bigint
);

CREATE SEQUENCE dhcp4_audit_revision_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE dhcp4_audit_revision_id_seq OWNED BY dhcp4_audit_revision.id;

CREATE TABLE dhcp4_client_class (
    id integer NOT NULL,
    name character varying(128) NOT NULL,
    test text,
    next_server inet,
    server_hostname character varying(128) DEFAULT NULL::character varying,
    boot_file_name character varying(512) DEFAULT NULL::character varying,
    only_if_required boolean DEFAULT false NOT NULL,
    valid_lifetime bigint,
    min_valid_lifetime bigint,
    max_valid_lifetime bigint,
    depend_on_known_directly boolean DEFAULT false NOT NULL,
    follow_class_name character varying(128) DEFAULT NULL::character varying,
    modification_ts timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    user_context json
);

CREATE TABLE dhcp4_client_class_dependency (
    class_id bigint NOT NULL,
    dependency_id bigint NOT NULL
);

CREATE SEQUENCE dhcp4_client_class_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE dhcp4_client_class_id_seq OWNED BY dhcp4_client_class.id;

CREATE TABLE dhcp4_client_class_order (
    class_id bigint NOT NULL,
    order_index bigint NOT NULL,
    depend_on_known_indirectly boolean DEFAULT false NOT NULL
);

CREATE TABLE dhcp4_client_class_server (
    class_id bigint NOT NULL,
    server_id bigint NOT NULL,
    modification_ts timestamp with time zone
);

CREATE TABLE dhcp4_global_parameter (
    id integer NOT NULL,
    name character varying(128) NOT NULL,
    value text NOT NULL,
    modification_ts timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    parameter_type smallint NOT NULL
);

CREATE SEQUENCE dhcp4_global_parameter_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE dhcp4_global_parameter_id_seq OWNED BY dhcp4_global_parameter.id;

CREATE TABLE dhcp4_global_parameter_server (
    parameter_id bigint NOT NULL,
    server_id bigint NOT NULL,
    modification_ts timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);

CREATE TABLE dhcp4_option_def (
    id integer NOT NULL,
    code smallint NOT NULL,
    name character varying(128) NOT NULL,
    space character varying(128) NOT NULL,
    type smallint NOT NULL,
    modification_ts timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    is_array boolean NOT NULL,
    encapsulate character varying(128) NOT NULL,
    record_types character varying,
    user_context json,
    class_id bigint
);

CREATE SEQUENCE dhcp4_option_def_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE dhcp4_option_def_id_seq OWNED BY dhcp4_option_def.id;

CREATE TABLE dhcp4_option_def_server (
    option_def_id bigint NOT NULL,
    server_id bigint NOT NULL,
    modification_ts timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);

CREATE TABLE dhcp4_options (
    option_id integer NOT NULL,
    code smallint NOT NULL,
    value bytea,
    formatted_value text,
    space character varying(128) DEFAULT NULL::character varying,
    persistent boolean DEFAULT false NOT NULL,
    dhcp_client_class character varying(128) DEFAULT NULL::character varying,
    dhcp4_subnet_id bigint,
    host_id integer,
    scope_id smallint NOT NULL,
    user_context text,
    shared_network_name character varying(128) DEFAULT NULL::character varying,
    pool_id bigint,
    modification_ts timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);

CREATE SEQUENCE dhcp4_options_option_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE dhcp4_options_option_id_seq OWNED BY dhcp4_options.option_id;

CREATE TABLE dhcp4_options_server (
    option_id bigint NOT NULL,
    server_id bigint NOT NULL,
    modification_ts timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);

CREATE TABLE dhcp4_pool (
    id integer NOT NULL,
    start_address inet NOT NULL,
    end_address inet NOT NULL,
    subnet_id bigint NOT NULL,
    modification_ts timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    client_class character varying(128) DEFAULT NULL::character varying,
    require_client_classes text,
    user_context json
);

CREATE SEQUENCE dhcp4_pool_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE dhcp4_pool_id_seq OWNED BY dhcp4_pool.id;

CREATE TABLE dhcp4_server (
    id integer NOT NULL,
    tag character varying(64) NOT NULL,
    description text,
    modification_ts timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);

CREATE SEQUENCE dhcp4_server_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE dhcp4_server_id_seq OWNED BY dhcp4_server.id;

CREATE TABLE dhcp4_shared_network (
    id integer NOT NULL,
    name character varying(128) NOT NULL,
    client_class character varying(128) DEFAULT NULL::character varying,
    interface character varying(128) DEFAULT NULL::character varying,
    match_client_id boolean,
    modification_ts timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    rebind_timer bigint,
    relay text,
    renew_timer bigint,
    require_client_classes text,
    user_context json,
    valid_lifetime bigint,
    authoritative boolean,
    calculate_tee_times boolean,
    t1_percent double precision,
    t2_percent double precision,
    boot_file_name character varying(128) DEFAULT NULL::character varying,
    next_server inet,
    server_hostname character varying(64) DEFAULT NULL::character varying,
    min_valid_lifetime bigint,
    max_valid_lifetime bigint,
    ddns_send_updates boolean,
    ddns_override_no_update boolean,
    ddns_override_client_update boolean,
    ddns_replace_client_name bigint,
    ddns_generated_prefix character varying(255) DEFAULT NULL::character varying,
    ddns_qualifying_suffix character varying(255) DEFAULT NULL::character varying,
    reservations_global boolean,
    reservations_in_subnet boolean,
    reservations_out_of_pool boolean,
    cache_threshold double precision,
    cache_max_age bigint
);

CREATE SEQUENCE dhcp4_shared_network_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE dhcp4_shared_network_id_seq OWNED BY dhcp4_shared_network.id;

CREATE TABLE dhcp4_shared_network_server (
    shared_network_id bigint NOT NULL,
    server_id bigint NOT NULL,
    modification_ts timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);

CREATE TABLE dhcp4_subnet (
    subnet_id bigint NOT NULL,
    subnet_prefix character varying(64) NOT NULL,
    interface_4o6 character varying(128) DEFAULT NULL::character varying,
    interface_id_4o6 character varying(128) DEFAULT NULL::character varying,
    subnet_4o6 character varying(64) DEFAULT NULL::character varying,
    boot_file_name character varying(128) DEFAULT NULL::character varying,
    client_class character varying(128) DEFAULT NULL::character varying,
    interface character varying(128) DEFAULT NULL::character varying,
    match_client_id boolean,
    modification_ts timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    next_server inet,
    rebind_timer bigint,
    relay text,
    renew_timer bigint,
    require_client_classes text,
    server_hostname character varying(64) DEFAULT NULL::character varying,
    shared_network_name character varying(128) DEFAULT NULL::character varying,
    user_context json,
    valid_lifetime bigint,
    authoritative boolean,
    calculate_tee_times boolean,
    t1_percent double precision,
    t2_percent double precision,
    min_valid_lifetime bigint,
    max_valid_lifetime bigint,
    ddns_send_updates boolean,
    ddns_override_no_update boolean,
    ddns_override_client_update boolean,
    ddns_replace_client_name bigint,
    ddns_generated_prefix character varying(255) DEFAULT NULL::character varying,
    ddns_qualifying_suffix character varying(255) DEFAULT NULL::character varying,
    reservations_global boolean,
    reservations_in_subnet boolean,
    reservations_out_of_pool boolean,
    cache_threshold double precision,
    cache_max_age bigint
);

CREATE TABLE dhcp4_subnet_server (
    subnet_id bigint NOT NULL,
    server_id bigint NOT NULL,
    modification_ts timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);

CREATE TABLE dhcp6_audit (
    id integer NOT NULL,
    object_type character varying(256) NOT NULL,
    object_id bigint NOT NULL,
    modification_type smallint NOT NULL,
    revision_id bigint NOT NULL
);

CREATE SEQUENCE dhcp6_audit_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE dhcp6_audit_id_seq OWNED BY dhcp6_audit.id;

CREATE TABLE dhcp6_audit_revision (
    id integer NOT NULL,
    modification_ts timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    log_message text,
    server_id bigint
);

CREATE SEQUENCE dhcp6_audit_revision_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE dhcp6_audit_revision_id_seq OWNED BY dhcp6_audit_revision.id;

CREATE TABLE dhcp6_client_class (
    id integer NOT NULL,
    name character varying(128) NOT NULL,
    test text,
    only_if_required boolean DEFAULT false NOT NULL,
    valid_lifetime bigint,
    min_valid_lifetime bigint,
    max_valid_lifetime bigint,
    depend_on_known_directly boolean DEFAULT false NOT NULL,
    follow_class_name character varying(128) DEFAULT NULL::character varying,
    modification_ts timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    preferred_lifetime bigint,
    min_preferred_lifetime bigint,
    max_preferred_lifetime bigint,
    user_context json
);

CREATE TABLE dhcp6_client_class_dependency (
    class_id bigint NOT NULL,
    dependency_id bigint NOT NULL
);

CREATE SEQUENCE dhcp6_client_class_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE dhcp6_client_class_id_seq OWNED BY dhcp6_client_class.id;

CREATE TABLE dhcp6_client_class_order (
    class_id bigint NOT NULL,
    order_index bigint NOT NULL,
    depend_on_known_indirectly boolean DEFAULT false NOT NULL
);

CREATE TABLE dhcp6_client_class_server (
    class_id bigint NOT NULL,
    server_id bigint NOT NULL,
    modification_ts timestamp with time zone
);

CREATE TABLE dhcp6_global_parameter (
    id integer NOT NULL,
    name character varying(128) NOT NULL,
    value text NOT NULL,
    modification_ts timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    parameter_type smallint NOT NULL
);

CREATE SEQUENCE dhcp6_global_parameter_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE dhcp6_global_parameter_id_seq OWNED BY dhcp6_global_parameter.id;

CREATE TABLE dhcp6_global_parameter_server (
    parameter_id bigint NOT NULL,
    server_id bigint NOT NULL,
    modification_ts timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);

CREATE TABLE dhcp6_option_def (
    id integer NOT NULL,
    code smallint NOT NULL,
    name character varying(128) NOT NULL,
    space character varying(128) NOT NULL,
    type smallint NOT NULL,
    modification_ts timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    is_array boolean NOT NULL,
    encapsulate character varying(128) NOT NULL,
    record_types character varying,
    user_context json,
    class_id bigint
);

CREATE SEQUENCE dhcp6_option_def_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE dhcp6_option_def_id_seq OWNED BY dhcp6_option_def.id;

CREATE TABLE dhcp6_option_def_server (
    option_def_id bigint NOT NULL,
    server_id bigint NOT NULL,
    modification_ts timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);

CREATE TABLE dhcp6_options (
    option_id integer NOT NULL,
    code integer NOT NULL,
    value bytea,
    formatted_value text,
    space character varying(128) DEFAULT NULL::character varying,
    persistent boolean DEFAULT false NOT NULL,
    dhcp_client_class character varying(128) DEFAULT NULL::character varying,
    dhcp6_subnet_id bigint,
    host_id integer,
    scope_id smallint NOT NULL,
    user_context text,
    shared_network_name character varying(128) DEFAULT NULL::character varying,
    pool_id bigint,
    pd_pool_id bigint,
    modification_ts timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);

CREATE SEQUENCE dhcp6_options_option_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE dhcp6_options_option_id_seq OWNED BY dhcp6_options.option_id;

CREATE TABLE dhcp6_options_server (
    option_id bigint NOT NULL,
    server_id bigint NOT NULL,
    modification_ts timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);

CREATE TABLE dhcp6_pd_pool (
    id integer NOT NULL,
    prefix character varying(45) NOT NULL,
    prefix_length smallint NOT NULL,
    delegated_prefix_length smallint NOT NULL,
    subnet_id bigint NOT NULL,
    modification_ts timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    excluded_prefix character varying(45) DEFAULT NULL::character varying,
    excluded_prefix_length smallint NOT NULL,
    client_class character varying(128) DEFAULT NULL::character varying,
    require_client_classes text,
    user_context json
);

CREATE SEQUENCE dhcp6_pd_pool_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE dhcp6_pd_pool_id_seq OWNED BY dhcp6_pd_pool.id;

CREATE TABLE dhcp6_pool (
    id integer NOT NULL,
    start_address inet NOT NULL,
    end_address inet NOT NULL,
    subnet_id bigint NOT NULL,
    modification_ts timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    client_class character varying(128) DEFAULT NULL::character varying,
    require_client_classes text,
    user_context json
);

CREATE SEQUENCE dhcp6_pool_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE dhcp6_pool_id_seq OWNED BY dhcp6_pool.id;

CREATE TABLE dhcp6_server (
    id integer NOT NULL,
    tag character varying(64) NOT NULL,
    description text,
    modification_ts timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);

CREATE SEQUENCE dhcp6_server_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE dhcp6_server_id_seq OWNED BY dhcp6_server.id;

CREATE TABLE dhcp6_shared_network (
    id integer NOT NULL,
    name character varying(128) NOT NULL,
    client_class character varying(128) DEFAULT NULL::character varying,
    interface character varying(128) DEFAULT NULL::character varying,
    modification_ts timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    preferred_lifetime bigint,
    rapid_commit boolean,
    rebind_timer bigint,
    relay text,
    renew_timer bigint,
    require_client_classes text,
    user_context json,
    valid_lifetime bigint,
    calculate_tee_times boolean,
    t1_percent double precision,
    t2_percent double precision,
    interface_id bytea,
    min_preferred_lifetime bigint,
    max_preferred_lifetime bigint,
    min_valid_lifetime bigint,
    max_valid_lifetime bigint,
    ddns_send_updates boolean,
    ddns_override_no_update boolean,
    ddns_override_client_update boolean,
    ddns_replace_client_name bigint,
    ddns_generated_prefix character varying(255) DEFAULT NULL::character varying,
    ddns_qualifying_suffix character varying(255) DEFAULT NULL::character varying,
    reservations_global boolean,
    reservations_in_subnet boolean,
    reservations_out_of_pool boolean,
    cache_threshold double precision,
    cache_max_age bigint
);

CREATE SEQUENCE dhcp6_shared_network_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE dhcp6_shared_network_id_seq OWNED BY dhcp6_shared_network.id;

CREATE TABLE dhcp6_shared_network_server (
    shared_network_id bigint NOT NULL,
    server_id bigint NOT NULL,
    modification_ts timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);

CREATE TABLE dhcp6_subnet (
    subnet_id bigint NOT NULL,
    subnet_prefix character varying(64) NOT NULL,
    client_class character varying(128) DEFAULT NULL::character varying,
    interface character varying(128) DEFAULT NULL::character varying,
    modification_ts timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    preferred_lifetime bigint,
    rapid_commit boolean,
    rebind_timer bigint,
    relay text,
    renew_timer bigint,
    require_client_classes text,
    shared_network_name character varying(128) DEFAULT NULL::character varying,
    user_context json,
    valid_lifetime bigint,
    calculate_tee_times boolean,
    t1_percent double precision,
    t2_percent double precision,
    interface_id bytea,
    min_preferred_lifetime bigint,
    max_preferred_lifetime bigint,
    min_valid_lifetime bigint,
    max_valid_lifetime bigint,
    ddns_send_updates boolean,
    ddns_override_no_update boolean,
    ddns_override_client_update boolean,
    ddns_replace_client_name bigint,
    ddns_generated_prefix character varying(255) DEFAULT NULL::character varying,
    ddns_qualifying_suffix character varying(255) DEFAULT NULL::character varying,
    reservations_global boolean,
    reservations_in_subnet boolean,
    reservations_out_of_pool boolean,
    cache_threshold double precision,
    cache_max_age bigint
);

CREATE TABLE dhcp6_subnet_server (
    subnet_id bigint NOT NULL,
    server_id bigint NOT NULL,
    modification_ts timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);

CREATE TABLE dhcp_option_scope (
    scope_id smallint NOT NULL,
    scope_name character varying(32) DEFAULT NULL::character varying
);

CREATE TABLE host_identifier_type (
    type smallint NOT NULL,
    name character varying(32) DEFAULT NULL::character varying
);

CREATE TABLE hosts (
    host_id integer NOT NULL,
    dhcp_identifier bytea NOT NULL,
    dhcp_identifier_type smallint NOT NULL,
    dhcp4_subnet_id bigint,
    dhcp6_subnet_id bigint,
    ipv4_address bigint,
    hostname character varying(255) DEFAULT NULL::character varying,
    dhcp4_client_classes character varying(255) DEFAULT NULL::character varying,
    dhcp6_client_classes character varying(255) DEFAULT NULL::character varying,
    dhcp4_next_server bigint,
    dhcp4_server_hostname character varying(64) DEFAULT NULL::character varying,
    dhcp4_boot_file_name character varying(128) DEFAULT NULL::character varying,
    user_context text,
    auth_key character varying(32) DEFAULT NULL::character varying
);

CREATE SEQUENCE hosts_host_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE hosts_host_id_seq OWNED BY hosts.host_id;

CREATE TABLE ipv6_reservations (
    reservation_id integer NOT NULL,
    address character varying(39) NOT NULL,
    prefix_len smallint DEFAULT '128'::smallint NOT NULL,
    type smallint DEFAULT '0'::smallint NOT NULL,
    dhcp6_iaid integer,
    host_id integer NOT NULL
);

CREATE SEQUENCE ipv6_reservations_reservation_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE ipv6_reservations_reservation_id_seq OWNED BY ipv6_reservations.reservation_id;

CREATE TABLE lease4 (
    address bigint NOT NULL,
    hwaddr bytea,
    client_id bytea,
    valid_lifetime bigint,
    expire timestamp with time zone,
    subnet_id bigint,
    fqdn_fwd boolean,
    fqdn_rev boolean,
    hostname character varying(255),
    state bigint DEFAULT 0,
    user_context text
);

CREATE TABLE lease4_stat (
    subnet_id bigint NOT NULL,
    state bigint NOT NULL,
    leases bigint
);

CREATE TABLE lease4_stat_by_client_class (
    client_class character varying(128) NOT NULL,
    leases bigint NOT NULL
);

CREATE TABLE lease6 (
    address character varying(39) NOT NULL,
    duid bytea,
    valid_lifetime bigint,
    expire timestamp with time zone,
    subnet_id bigint,
    pref_lifetime bigint,
    lease_type smallint,
    iaid integer,
    prefix_len smallint,
    fqdn_fwd boolean,
    fqdn_rev boolean,
    hostname character varying(255),
    state bigint DEFAULT 0,
    hwaddr bytea,
    hwtype smallint,
    hwaddr_source smallint,
    user_context text
);

CREATE TABLE lease6_stat (
    subnet_id bigint NOT NULL,
    lease_type smallint NOT NULL,
    state bigint NOT NULL,
    leases bigint
);

CREATE TABLE lease6_stat_by_client_class (
    client_class character varying(128) NOT NULL,
    lease_type smallint NOT NULL,
    leases bigint NOT NULL
);

CREATE TABLE lease6_types (
    lease_type smallint NOT NULL,
    name character varying(5)
);

CREATE TABLE lease_hwaddr_source (
    hwaddr_source integer NOT NULL,
    name character varying(40) DEFAULT NULL::character varying
);

CREATE TABLE lease_state (
    state bigint NOT NULL,
    name character varying(64) NOT NULL
);

CREATE TABLE logs (
    "timestamp" timestamp with time zone DEFAULT CURRENT_TIMESTAMP,
    address character varying(43),
    log text NOT NULL
);

CREATE TABLE modification (
    id smallint NOT NULL,
    modification_type character varying(32) NOT NULL
);

CREATE TABLE parameter_data_type (
    id smallint NOT NULL,
    name character varying(32) NOT NULL
);

CREATE TABLE schema_version (
    version integer NOT NULL,
    minor integer
);

ALTER TABLE ONLY dhcp4_audit ALTER COLUMN id SET DEFAULT nextval('dhcp4_audit_id_seq'::regclass);

ALTER TABLE ONLY dhcp4_audit_revision ALTER COLUMN id SET DEFAULT nextval('dhcp4_audit_revision_id_seq'::regclass);

ALTER TABLE ONLY dhcp4_client_class ALTER COLUMN id SET DEFAULT nextval('dhcp4_client_class_id_seq'::regclass);

ALTER TABLE ONLY dhcp4_global_parameter ALTER COLUMN id SET DEFAULT nextval('dhcp4_global_parameter_id_seq'::regclass);

ALTER TABLE ONLY dhcp4_option_def ALTER COLUMN id SET DEFAULT nextval('dhcp4_option_def_id_seq'::regclass);

ALTER TABLE ONLY dhcp4_options ALTER COLUMN option_id SET DEFAULT nextval('dhcp4_options_option_id_seq'::regclass);

ALTER TABLE ONLY dhcp4_pool ALTER COLUMN id SET DEFAULT nextval('dhcp4_pool_id_seq'::regclass);

ALTER TABLE ONLY dhcp4_server ALTER COLUMN id SET DEFAULT nextval('dhcp4_server_id_seq'::regclass);

ALTER TABLE ONLY dhcp4_shared_network ALTER COLUMN id SET DEFAULT nextval('dhcp4_shared_network_id_seq'::regclass);

ALTER TABLE ONLY dhcp6_audit ALTER COLUMN id SET DEFAULT nextval('dhcp6_audit_id_seq'::regclass);

ALTER TABLE ONLY dhcp6_audit_revision ALTER COLUMN id SET DEFAULT nextval('dhcp6_audit_revision_id_seq'::regclass);

ALTER TABLE ONLY dhcp6_client_class ALTER COLUMN id SET DEFAULT nextval('dhcp6_client_class_id_seq'::regclass);

ALTER TABLE ONLY dhcp6_global_parameter ALTER COLUMN id SET DEFAULT nextval('dhcp6_global_parameter_id_seq'::regclass);

ALTER TABLE ONLY dhcp6_option_def ALTER COLUMN id SET DEFAULT nextval('dhcp6_option_def_id_seq'::regclass);

ALTER TABLE ONLY dhcp6_options ALTER COLUMN option_id SET DEFAULT nextval('dhcp6_options_option_id_seq'::regclass);

ALTER TABLE ONLY dhcp6_pd_pool ALTER COLUMN id SET DEFAULT nextval('dhcp6_pd_pool_id_seq'::regclass);

ALTER TABLE ONLY dhcp6_pool ALTER COLUMN id SET DEFAULT nextval('dhcp6_pool_id_seq'::regclass);

ALTER TABLE ONLY dhcp6_server ALTER COLUMN id SET DEFAULT nextval('dhcp6_server_id_seq'::regclass);

ALTER TABLE ONLY dhcp6_shared_network ALTER COLUMN id SET DEFAULT nextval('dhcp6_shared_network_id_seq'::regclass);

ALTER TABLE ONLY hosts ALTER COLUMN host_id SET DEFAULT nextval('hosts_host_id_seq'::regclass);

ALTER TABLE ONLY ipv6_reservations ALTER COLUMN reservation_id SET DEFAULT nextval('ipv6_reservations_reservation_id_seq'::regclass);

-- The rows of the lookup tables, inserted before the triggers exist (no audit entries).

INSERT INTO ddns_replace_client_name_types (type, name) VALUES (0, 'RCM_NEVER');
INSERT INTO ddns_replace_client_name_types (type, name) VALUES (1, 'RCM_ALWAYS');
INSERT INTO ddns_replace_client_name_types (type, name) VALUES (2, 'RCM_WHEN_PRESENT');
INSERT INTO ddns_replace_client_name_types (type, name) VALUES (3, 'RCM_WHEN_NOT_PRESENT');
INSERT INTO modification (id, modification_type) VALUES (0, 'create');
INSERT INTO modification (id, modification_type) VALUES (1, 'update');
INSERT INTO modification (id, modification_type) VALUES (2, 'delete');
INSERT INTO dhcp4_server (tag, description) VALUES ('all', 'special type: all servers');
INSERT INTO parameter_data_type (id, name) VALUES (0, 'integer');
INSERT INTO parameter_data_type (id, name) VALUES (1, 'real');
INSERT INTO parameter_data_type (id, name) VALUES (2, 'boolean');
INSERT INTO parameter_data_type (id, name) VALUES (4, 'string');
INSERT INTO dhcp_option_scope (scope_id, scope_name) VALUES (0, 'global');
INSERT INTO dhcp_option_scope (scope_id, scope_name) VALUES (1, 'subnet');
INSERT INTO dhcp_option_scope (scope_id, scope_name) VALUES (2, 'client-class');
INSERT INTO dhcp_option_scope (scope_id, scope_name) VALUES (3, 'host');
INSERT INTO dhcp_option_scope (scope_id, scope_name) VALUES (4, 'shared-network');
INSERT INTO dhcp_option_scope (scope_id, scope_name) VALUES (5, 'pool');
INSERT INTO dhcp_option_scope (scope_id, scope_name) VALUES (6, 'pd-pool');
INSERT INTO host_identifier_type (type, name) VALUES (0, 'hw-address');
INSERT INTO host_identifier_type (type, name) VALUES (1, 'duid');
INSERT INTO host_identifier_type (type, name) VALUES (2, 'circuit-id');
INSERT INTO host_identifier_type (type, name) VALUES (3, 'client-id');
INSERT INTO host_identifier_type (type, name) VALUES (4, 'flex-id');
INSERT INTO dhcp6_server (tag, description) VALUES ('all', 'special type: all servers');
INSERT INTO lease_state (state, name) VALUES (0, 'default');
INSERT INTO lease_state (state, name) VALUES (1, 'declined');
INSERT INTO lease_state (state, name) VALUES (2, 'expired-reclaimed');
INSERT INTO lease6_types (lease_type, name) VALUES (0, 'IA_NA');
INSERT INTO lease6_types (lease_type, name) VALUES (1, 'IA_TA');
INSERT INTO lease6_types (lease_type, name) VALUES (2, 'IA_PD');
INSERT INTO lease_hwaddr_source (hwaddr_source, name) VALUES (0, 'HWADDR_SOURCE_UNKNOWN');
INSERT INTO lease_hwaddr_source (hwaddr_source, name) VALUES (1, 'HWADDR_SOURCE_RAW');
INSERT INTO lease_hwaddr_source (hwaddr_source, name) VALUES (2, 'HWADDR_SOURCE_IPV6_LINK_LOCAL');
INSERT INTO lease_hwaddr_source (hwaddr_source, name) VALUES (4, 'HWADDR_SOURCE_DUID');
INSERT INTO lease_hwaddr_source (hwaddr_source, name) VALUES (8, 'HWADDR_SOURCE_CLIENT_ADDR_RELAY_OPTION');
INSERT INTO lease_hwaddr_source (hwaddr_source, name) VALUES (16, 'HWADDR_SOURCE_REMOTE_ID');
INSERT INTO lease_hwaddr_source (hwaddr_source, name) VALUES (32, 'HWADDR_SOURCE_SUBSCRIBER_ID');
INSERT INTO lease_hwaddr_source (hwaddr_source, name) VALUES (64, 'HWADDR_SOURCE_DOCSIS_CMTS');
INSERT INTO lease_hwaddr_source (hwaddr_source, name) VALUES (128, 'HWADDR_SOURCE_DOCSIS_MODEM');
INSERT INTO schema_version (version, minor) VALUES (13, 0);

-- Primary keys and unique constraints.

ALTER TABLE ONLY ddns_replace_client_name_types
    ADD CONSTRAINT ddns_replace_client_name_types_pkey PRIMARY KEY (type);

ALTER TABLE ONLY dhcp4_audit
    ADD CONSTRAINT dhcp4_audit_id_key UNIQUE (id);

ALTER TABLE ONLY dhcp4_audit_revision
    ADD CONSTRAINT dhcp4_audit_revision_pkey PRIMARY KEY (id);

ALTER TABLE ONLY dhcp4_client_class_dependency
    ADD CONSTRAINT dhcp4_client_class_dependency_pkey PRIMARY KEY (class_id, dependency_id);

ALTER TABLE ONLY dhcp4_client_class
    ADD CONSTRAINT dhcp4_client_class_name_key UNIQUE (name);

ALTER TABLE ONLY dhcp4_client_class_order
    ADD CONSTRAINT dhcp4_client_class_order_pkey PRIMARY KEY (class_id);

ALTER TABLE ONLY dhcp4_client_class
    ADD CONSTRAINT dhcp4_client_class_pkey PRIMARY KEY (id);

ALTER TABLE ONLY dhcp4_client_class_server
    ADD CONSTRAINT dhcp4_client_class_server_pkey PRIMARY KEY (class_id, server_id);

ALTER TABLE ONLY dhcp4_global_parameter
    ADD CONSTRAINT dhcp4_global_parameter_pkey PRIMARY KEY (id);

ALTER TABLE ONLY dhcp4_global_parameter_server
    ADD CONSTRAINT dhcp4_global_parameter_server_pkey PRIMARY KEY (parameter_id, server_id);

ALTER TABLE ONLY dhcp4_option_def
    ADD CONSTRAINT dhcp4_option_def_pkey PRIMARY KEY (id);

ALTER TABLE ONLY dhcp4_option_def_server
    ADD CONSTRAINT dhcp4_option_def_server_pkey PRIMARY KEY (option_def_id, server_id);

ALTER TABLE ONLY dhcp4_options
    ADD CONSTRAINT dhcp4_options_pkey PRIMARY KEY (option_id);

ALTER TABLE ONLY dhcp4_options_server
    ADD CONSTRAINT dhcp4_options_server_pkey PRIMARY KEY (option_id, server_id);

ALTER TABLE ONLY dhcp4_pool
    ADD CONSTRAINT dhcp4_pool_pkey PRIMARY KEY (id);

ALTER TABLE ONLY dhcp4_server
    ADD CONSTRAINT dhcp4_server_pkey PRIMARY KEY (id);

ALTER TABLE ONLY dhcp4_server
    ADD CONSTRAINT dhcp4_server_tag_key UNIQUE (tag);

ALTER TABLE ONLY dhcp4_shared_network
    ADD CONSTRAINT dhcp4_shared_network_name_key UNIQUE (name);

ALTER TABLE ONLY dhcp4_shared_network
    ADD CONSTRAINT dhcp4_shared_network_pkey PRIMARY KEY (id);

ALTER TABLE ONLY dhcp4_shared_network_server
    ADD CONSTRAINT dhcp4_shared_network_server_pkey PRIMARY KEY (shared_network_id, server_id);

ALTER TABLE ONLY dhcp4_subnet
    ADD CONSTRAINT dhcp4_subnet_pkey PRIMARY KEY (subnet_id);

ALTER TABLE ONLY dhcp4_subnet_server
    ADD CONSTRAINT dhcp4_subnet_server_pkey PRIMARY KEY (subnet_id, server_id);

ALTER TABLE ONLY dhcp4_subnet
    ADD CONSTRAINT dhcp4_subnet_subnet_prefix_key UNIQUE (subnet_prefix);

ALTER TABLE ONLY dhcp6_audit
    ADD CONSTRAINT dhcp6_audit_id_key UNIQUE (id);

ALTER TABLE ONLY dhcp6_audit_revision
    ADD CONSTRAINT dhcp6_audit_revision_pkey PRIMARY KEY (id);

ALTER TABLE ONLY dhcp6_client_class_dependency
    ADD CONSTRAINT dhcp6_client_class_dependency_pkey PRIMARY KEY (class_id, dependency_id);

ALTER TABLE ONLY dhcp6_client_class
    ADD CONSTRAINT dhcp6_client_class_name_key UNIQUE (name);

ALTER TABLE ONLY dhcp6_client_class_order
    ADD CONSTRAINT dhcp6_client_class_order_pkey PRIMARY KEY (class_id);

ALTER TABLE ONLY dhcp6_client_class
    ADD CONSTRAINT dhcp6_client_class_pkey PRIMARY KEY (id);

ALTER TABLE ONLY dhcp6_client_class_server
    ADD CONSTRAINT dhcp6_client_class_server_pkey PRIMARY KEY (class_id, server_id);

ALTER TABLE ONLY dhcp6_global_parameter
    ADD CONSTRAINT dhcp6_global_parameter_pkey PRIMARY KEY (id);

ALTER TABLE ONLY dhcp6_global_parameter_server
    ADD CONSTRAINT dhcp6_global_parameter_server_pkey PRIMARY KEY (parameter_id, server_id);

ALTER TABLE ONLY dhcp6_option_def
    ADD CONSTRAINT dhcp6_option_def_pkey PRIMARY KEY (id);

ALTER TABLE ONLY dhcp6_option_def_server
    ADD CONSTRAINT dhcp6_option_def_server_pkey PRIMARY KEY (option_def_id, server_id);

ALTER TABLE ONLY dhcp6_options
    ADD CONSTRAINT dhcp6_options_pkey PRIMARY KEY (option_id);

ALTER TABLE ONLY dhcp6_options_server
    ADD CONSTRAINT dhcp6_options_server_pkey PRIMARY KEY (option_id, server_id);

ALTER TABLE ONLY dhcp6_pd_pool
    ADD CONSTRAINT dhcp6_pd_pool_pkey PRIMARY KEY (id);

ALTER TABLE ONLY dhcp6_pool
    ADD CONSTRAINT dhcp6_pool_pkey PRIMARY KEY (id);

ALTER TABLE ONLY dhcp6_server
    ADD CONSTRAINT dhcp6_server_pkey PRIMARY KEY (id);

ALTER TABLE ONLY dhcp6_server
    ADD CONSTRAINT dhcp6_server_tag_key UNIQUE (tag);

ALTER TABLE ONLY dhcp6_shared_network
    ADD CONSTRAINT dhcp6_shared_network_name_key UNIQUE (name);

ALTER TABLE ONLY dhcp6_shared_network
    ADD CONSTRAINT dhcp6_shared_network_pkey PRIMARY KEY (id);

ALTER TABLE ONLY dhcp6_shared_network_server
    ADD CONSTRAINT dhcp6_shared_network_server_pkey PRIMARY KEY (shared_network_id, server_id);

ALTER TABLE ONLY dhcp6_subnet
    ADD CONSTRAINT dhcp6_subnet_pkey PRIMARY KEY (subnet_id);

ALTER TABLE ONLY dhcp6_subnet_server
    ADD CONSTRAINT dhcp6_subnet_server_pkey PRIMARY KEY (subnet_id, server_id);

ALTER TABLE ONLY dhcp6_subnet
    ADD CONSTRAINT dhcp6_subnet_subnet_prefix_key UNIQUE (subnet_prefix);

ALTER TABLE ONLY dhcp_option_scope
    ADD CONSTRAINT dhcp_option_scope_pkey PRIMARY KEY (scope_id);

ALTER TABLE ONLY host_identifier_type
    ADD CONSTRAINT host_identifier_type_pkey PRIMARY KEY (type);

ALTER TABLE ONLY hosts
    ADD CONSTRAINT hosts_pkey PRIMARY KEY (host_id);

ALTER TABLE ONLY ipv6_reservations
    ADD CONSTRAINT ipv6_reservations_pkey PRIMARY KEY (reservation_id);

ALTER TABLE ONLY lease4
    ADD CONSTRAINT lease4_pkey PRIMARY KEY (address);

ALTER TABLE ONLY lease4_stat_by_client_class
    ADD CONSTRAINT lease4_stat_by_client_class_pkey PRIMARY KEY (client_class);

ALTER TABLE ONLY lease4_stat
    ADD CONSTRAINT lease4_stat_pkey PRIMARY KEY (subnet_id, state);

ALTER TABLE ONLY lease6
    ADD CONSTRAINT lease6_pkey PRIMARY KEY (address);

ALTER TABLE ONLY lease6_stat_by_client_class
    ADD CONSTRAINT lease6_stat_by_client_class_pkey PRIMARY KEY (client_class, lease_type);

ALTER TABLE ONLY lease6_stat
    ADD CONSTRAINT lease6_stat_pkey PRIMARY KEY (subnet_id, lease_type, state);

ALTER TABLE ONLY lease6_types
    ADD CONSTRAINT lease6_types_pkey PRIMARY KEY (lease_type);

ALTER TABLE ONLY lease_hwaddr_source
    ADD CONSTRAINT lease_hwaddr_source_pkey PRIMARY KEY (hwaddr_source);

ALTER TABLE ONLY lease_state
    ADD CONSTRAINT lease_state_pkey PRIMARY KEY (state);

ALTER TABLE ONLY modification
    ADD CONSTRAINT modification_pkey PRIMARY KEY (id);

ALTER TABLE ONLY parameter_data_type
    ADD CONSTRAINT parameter_data_type_pkey PRIMARY KEY (id);

ALTER TABLE ONLY schema_version
    ADD CONSTRAINT schema_version_pkey PRIMARY KEY (version);

-- Indexes.

CREATE INDEX address_id ON logs USING btree (address);

CREATE INDEX dhcp4_audit_idx1 ON dhcp4_audit USING btree (modification_type);

CREATE INDEX dhcp4_audit_idx2 ON dhcp4_audit USING btree (revision_id);

CREATE INDEX dhcp4_client_class_dependency_id_idx ON dhcp4_client_class_dependency USING btree (dependency_id);

CREATE INDEX dhcp4_global_parameter_idx1 ON dhcp4_global_parameter USING btree (modification_ts);

CREATE INDEX dhcp4_global_parameter_idx2 ON dhcp4_global_parameter USING btree (name);

CREATE INDEX dhcp4_option_def_idx1 ON dhcp4_option_def USING btree (modification_ts);

CREATE INDEX dhcp4_option_def_idx2 ON dhcp4_option_def USING btree (code, space);

CREATE INDEX dhcp4_options_server_idx1 ON dhcp4_options_server USING btree (server_id);

CREATE INDEX dhcp4_options_server_idx2 ON dhcp4_options_server USING btree (modification_ts);

CREATE INDEX dhcp4_pool_idx1 ON dhcp4_pool USING btree (modification_ts);

CREATE INDEX dhcp4_pool_idx2 ON dhcp4_pool USING btree (subnet_id);

CREATE INDEX dhcp4_server_modification_ts ON dhcp6_server USING btree (modification_ts);

CREATE UNIQUE INDEX dhcp4_shared_network_idx1 ON dhcp4_shared_network USING btree (name);

CREATE INDEX dhcp4_shared_network_idx2 ON dhcp4_shared_network USING btree (modification_ts);

CREATE INDEX dhcp4_shared_network_server_idx1 ON dhcp4_shared_network_server USING btree (modification_ts);

CREATE INDEX dhcp4_shared_network_server_idx2 ON dhcp4_shared_network_server USING btree (server_id);

CREATE INDEX dhcp4_subnet_idx1 ON dhcp4_subnet USING btree (modification_ts);

CREATE INDEX dhcp4_subnet_idx2 ON dhcp4_subnet USING btree (shared_network_name);

CREATE INDEX dhcp4_subnet_server_idx1 ON dhcp4_subnet_server USING btree (server_id);

CREATE INDEX dhcp4_subnet_server_idx2 ON dhcp4_subnet_server USING btree (modification_ts);

CREATE INDEX dhcp6_audit_idx1 ON dhcp6_audit USING btree (modification_type);

CREATE INDEX dhcp6_audit_idx2 ON dhcp6_audit USING btree (revision_id);

CREATE INDEX dhcp6_client_class_dependency_id_idx ON dhcp6_client_class_dependency USING btree (dependency_id);

CREATE INDEX dhcp6_option_def_idx1 ON dhcp6_option_def USING btree (modification_ts);

CREATE INDEX dhcp6_option_def_idx2 ON dhcp6_option_def USING btree (code, space);

CREATE INDEX dhcp6_options_server_idx1 ON dhcp6_options_server USING btree (server_id);

CREATE INDEX dhcp6_options_server_idx2 ON dhcp6_options_server USING btree (modification_ts);

CREATE INDEX dhcp6_pd_pool_idx1 ON dhcp6_pd_pool USING btree (modification_ts);

CREATE INDEX dhcp6_pd_pool_idx2 ON dhcp6_pd_pool USING btree (subnet_id);

CREATE INDEX dhcp6_pool_idx1 ON dhcp6_pool USING btree (modification_ts);

CREATE INDEX dhcp6_pool_idx2 ON dhcp6_pool USING btree (subnet_id);

CREATE INDEX dhcp6_server_idx1 ON dhcp6_server USING btree (modification_ts);

CREATE UNIQUE INDEX dhcp6_server_idx2 ON dhcp6_server USING btree (tag);

CREATE INDEX dhcp6_shared_network_idx1 ON dhcp6_shared_network USING btree (name);

CREATE INDEX dhcp6_shared_network_server_idx1 ON dhcp6_shared_network_server USING btree (modification_ts);

CREATE INDEX dhcp6_shared_network_server_idx2 ON dhcp6_shared_network_server USING btree (server_id);

CREATE INDEX dhcp6_subnet_idx1 ON dhcp6_subnet USING btree (modification_ts);

CREATE INDEX dhcp6_subnet_idx2 ON dhcp6_subnet USING btree (shared_network_name);

CREATE INDEX dhcp6_subnet_server_idx1 ON dhcp6_subnet_server USING btree (server_id);

CREATE INDEX dhcp6_subnet_server_idx2 ON dhcp6_subnet_server USING btree (modification_ts);

CREATE INDEX fk_dhcp4_client_class_server_id ON dhcp4_client_class_server USING btree (server_id);

CREATE INDEX fk_dhcp4_global_parameter_server_server_id ON dhcp4_global_parameter_server USING btree (server_id);

CREATE INDEX fk_dhcp4_option_def_client_class_id ON dhcp4_option_def USING btree (class_id);

CREATE INDEX fk_dhcp4_option_def_server_server_id ON dhcp4_option_def_server USING btree (server_id);

CREATE INDEX fk_dhcp4_options_host1_idx ON dhcp4_options USING btree (host_id);

CREATE INDEX fk_dhcp4_options_pool ON dhcp4_options USING btree (pool_id);

CREATE INDEX fk_dhcp4_options_scope_idx ON dhcp4_options USING btree (scope_id);

CREATE INDEX fk_dhcp4_options_shared_network ON dhcp4_options USING btree (shared_network_name);

CREATE INDEX fk_dhcp4_options_subnet ON dhcp4_options USING btree (dhcp4_subnet_id);

CREATE INDEX fk_dhcp6_client_class_server_id ON dhcp6_client_class_server USING btree (server_id);

CREATE INDEX fk_dhcp6_global_parameter_server_server_id ON dhcp6_global_parameter_server USING btree (server_id);

CREATE INDEX fk_dhcp6_option_def_client_class_id ON dhcp6_option_def USING btree (class_id);

CREATE INDEX fk_dhcp6_option_def_server_server_id ON dhcp6_option_def_server USING btree (server_id);

CREATE INDEX fk_dhcp6_options_host1_idx ON dhcp6_options USING btree (host_id);

CREATE INDEX fk_dhcp6_options_pd_pool ON dhcp6_options USING btree (pd_pool_id);

CREATE INDEX fk_dhcp6_options_pool ON dhcp6_options USING btree (pool_id);

CREATE INDEX fk_dhcp6_options_scope_idx ON dhcp6_options USING btree (scope_id);

CREATE INDEX fk_dhcp6_options_shared_network ON dhcp6_options USING btree (shared_network_name);

CREATE INDEX fk_dhcp6_options_subnet ON dhcp6_options USING btree (dhcp6_subnet_id);

CREATE INDEX fk_host_identifier_type ON hosts USING btree (dhcp_identifier_type);

CREATE INDEX fk_ipv6_reservations_host_idx ON ipv6_reservations USING btree (host_id);

CREATE INDEX hosts_by_hostname ON hosts USING btree (lower((hostname)::text)) WHERE (hostname IS NOT NULL);

CREATE INDEX key_dhcp4_client_class_modification_ts ON dhcp4_client_class USING btree (modification_ts);

CREATE INDEX key_dhcp4_client_class_order_index ON dhcp4_client_class_order USING btree (order_index);

CREATE INDEX key_dhcp4_global_parameter_idx1 ON dhcp4_global_parameter_server USING btree (modification_ts);

CREATE UNIQUE INDEX key_dhcp4_identifier_subnet_id ON hosts USING btree (dhcp_identifier, dhcp_identifier_type, dhcp4_subnet_id) WHERE (dhcp4_subnet_id IS NOT NULL);

CREATE INDEX key_dhcp4_ipv4_address_subnet_id ON hosts USING btree (ipv4_address, dhcp4_subnet_id);

CREATE INDEX key_dhcp6_address_prefix_len ON ipv6_reservations USING btree (address, prefix_len);

CREATE INDEX key_dhcp6_client_class_modification_ts ON dhcp6_client_class USING btree (modification_ts);

CREATE INDEX key_dhcp6_client_class_order_index ON dhcp6_client_class_order USING btree (order_index);

CREATE INDEX key_dhcp6_global_parameter_idx1 ON dhcp6_global_parameter USING btree (modification_ts);

CREATE INDEX key_dhcp6_global_parameter_idx2 ON dhcp6_global_parameter USING btree (name);

CREATE INDEX key_dhcp6_global_parameter_server_idx1 ON dhcp6_global_parameter_server USING btree (modification_ts);

CREATE UNIQUE INDEX key_dhcp6_identifier_subnet_id ON hosts USING btree (dhcp_identifier, dhcp_identifier_type, dhcp6_subnet_id) WHERE (dhcp6_subnet_id IS NOT NULL);

CREATE INDEX key_dhcp_identifier ON hosts USING btree (dhcp_identifier, dhcp_identifier_type);

CREATE INDEX lease4_by_client_id_subnet_id ON lease4 USING btree (client_id, subnet_id);

CREATE INDEX lease4_by_hostname ON lease4 USING btree (lower((hostname)::text)) WHERE (hostname IS NOT NULL);

CREATE INDEX lease4_by_hwaddr_subnet_id ON lease4 USING btree (hwaddr, subnet_id);

CREATE INDEX lease4_by_state_expire ON lease4 USING btree (state, expire);

CREATE INDEX lease4_by_subnet_id ON lease4 USING btree (subnet_id);

CREATE INDEX lease6_by_duid_iaid_subnet_id ON lease6 USING btree (duid, iaid, subnet_id);

CREATE INDEX lease6_by_hostname ON lease6 USING btree (lower((hostname)::text)) WHERE (hostname IS NOT NULL);

CREATE INDEX lease6_by_state_expire ON lease6 USING btree (state, expire);

CREATE INDEX lease6_by_subnet_id_lease_type ON lease6 USING btree (subnet_id, lease_type);

CREATE INDEX timestamp_id ON logs USING btree ("timestamp");

-- Triggers.

CREATE TRIGGER dhcp4_audit_modification_ts_update AFTER UPDATE ON dhcp4_audit FOR EACH ROW EXECUTE FUNCTION modification_ts_update();

CREATE TRIGGER dhcp4_audit_revision_modification_ts_update AFTER UPDATE ON dhcp4_audit_revision FOR EACH ROW EXECUTE FUNCTION modification_ts_update();

CREATE TRIGGER dhcp4_client_class_adel AFTER DELETE ON dhcp4_client_class FOR EACH ROW EXECUTE FUNCTION func_dhcp4_client_class_adel();

CREATE TRIGGER dhcp4_client_class_ains AFTER INSERT ON dhcp4_client_class FOR EACH ROW EXECUTE FUNCTION func_dhcp4_client_class_ains();

CREATE TRIGGER dhcp4_client_class_aupd AFTER UPDATE ON dhcp4_client_class FOR EACH ROW EXECUTE FUNCTION func_dhcp4_client_class_aupd();

CREATE TRIGGER dhcp4_client_class_check_dependency_bins BEFORE INSERT ON dhcp4_client_class_dependency FOR EACH ROW EXECUTE FUNCTION func_dhcp4_client_class_check_dependency_bins();

CREATE TRIGGER dhcp4_client_class_dependency_ains AFTER INSERT ON dhcp4_client_class_dependency FOR EACH ROW EXECUTE FUNCTION func_dhcp4_client_class_dependency_ains();

CREATE TRIGGER dhcp4_global_parameter_adel AFTER DELETE ON dhcp4_global_parameter FOR EACH ROW EXECUTE FUNCTION func_dhcp4_global_parameter_adel();

CREATE TRIGGER dhcp4_global_parameter_ains AFTER INSERT ON dhcp4_global_parameter FOR EACH ROW EXECUTE FUNCTION func_dhcp4_global_parameter_ains();

CREATE TRIGGER dhcp4_global_parameter_aupd AFTER UPDATE ON dhcp4_global_parameter FOR EACH ROW EXECUTE FUNCTION func_dhcp4_global_parameter_aupd();

CREATE TRIGGER dhcp4_global_parameter_modification_ts_update AFTER UPDATE ON dhcp4_global_parameter FOR EACH ROW EXECUTE FUNCTION modification_ts_update();

CREATE TRIGGER dhcp4_global_parameter_server_modification_ts_update AFTER UPDATE ON dhcp4_global_parameter_server FOR EACH ROW EXECUTE FUNCTION modification_ts_update();

CREATE TRIGGER dhcp4_option_def_adel AFTER DELETE ON dhcp4_option_def FOR EACH ROW EXECUTE FUNCTION func_dhcp4_option_def_adel();

CREATE TRIGGER dhcp4_option_def_ains AFTER INSERT ON dhcp4_option_def FOR EACH ROW EXECUTE FUNCTION func_dhcp4_option_def_ains();

CREATE TRIGGER dhcp4_option_def_aupd AFTER UPDATE ON dhcp4_option_def FOR EACH ROW EXECUTE FUNCTION func_dhcp4_option_def_aupd();

CREATE TRIGGER dhcp4_option_def_modification_ts_update AFTER UPDATE ON dhcp4_option_def FOR EACH ROW EXECUTE FUNCTION modification_ts_update();

CREATE TRIGGER dhcp4_option_def_server_modification_ts_update AFTER UPDATE ON dhcp4_option_def_server FOR EACH ROW EXECUTE FUNCTION modification_ts_update();

CREATE TRIGGER dhcp4_options_adel AFTER DELETE ON dhcp4_options FOR EACH ROW EXECUTE FUNCTION func_dhcp4_options_adel();

CREATE TRIGGER dhcp4_options_ains AFTER INSERT ON dhcp4_options FOR EACH ROW EXECUTE FUNCTION func_dhcp4_options_ains();

CREATE TRIGGER dhcp4_options_aupd AFTER UPDATE ON dhcp4_options FOR EACH ROW EXECUTE FUNCTION func_dhcp4_options_aupd();

CREATE TRIGGER dhcp4_options_modification_ts_update AFTER UPDATE ON dhcp4_options FOR EACH ROW EXECUTE FUNCTION modification_ts_update();

CREATE TRIGGER dhcp4_options_server_modification_ts_update AFTER UPDATE ON dhcp4_options_server FOR EACH ROW EXECUTE FUNCTION modification_ts_update();

CREATE TRIGGER dhcp4_pool_bdel BEFORE DELETE ON dhcp4_pool FOR EACH ROW EXECUTE FUNCTION func_dhcp4_pool_bdel();

CREATE TRIGGER dhcp4_pool_modification_ts_update AFTER UPDATE ON dhcp4_pool FOR EACH ROW EXECUTE FUNCTION modification_ts_update();

CREATE TRIGGER dhcp4_server_adel AFTER DELETE ON dhcp4_server FOR EACH ROW EXECUTE FUNCTION func_dhcp4_server_adel();

CREATE TRIGGER dhcp4_server_ains AFTER INSERT ON dhcp4_server FOR EACH ROW EXECUTE FUNCTION func_dhcp4_server_ains();

CREATE TRIGGER dhcp4_server_aupd AFTER UPDATE ON dhcp4_server FOR EACH ROW EXECUTE FUNCTION func_dhcp4_server_aupd();

CREATE TRIGGER dhcp4_server_modification_ts_update AFTER UPDATE ON dhcp4_server FOR EACH ROW EXECUTE FUNCTION modification_ts_update();

CREATE TRIGGER dhcp4_shared_network_ains AFTER INSERT ON dhcp4_shared_network FOR EACH ROW EXECUTE FUNCTION func_dhcp4_shared_network_ains();

CREATE TRIGGER dhcp4_shared_network_aupd AFTER UPDATE ON dhcp4_shared_network FOR EACH ROW EXECUTE FUNCTION func_dhcp4_shared_network_aupd();

CREATE TRIGGER dhcp4_shared_network_bdel BEFORE DELETE ON dhcp4_shared_network FOR EACH ROW EXECUTE FUNCTION func_dhcp4_shared_network_bdel();

CREATE TRIGGER dhcp4_shared_network_modification_ts_update AFTER UPDATE ON dhcp4_shared_network FOR EACH ROW EXECUTE FUNCTION modification_ts_update();

CREATE TRIGGER dhcp4_subnet_ains AFTER INSERT ON dhcp4_subnet FOR EACH ROW EXECUTE FUNCTION func_dhcp4_subnet_ains();

CREATE TRIGGER dhcp4_subnet_aupd AFTER UPDATE ON dhcp4_subnet FOR EACH ROW EXECUTE FUNCTION func_dhcp4_subnet_aupd();

CREATE TRIGGER dhcp4_subnet_bdel BEFORE DELETE ON dhcp4_subnet FOR EACH ROW EXECUTE FUNCTION func_dhcp4_subnet_bdel();

CREATE TRIGGER dhcp4_subnet_modification_ts_update AFTER UPDATE ON dhcp4_subnet FOR EACH ROW EXECUTE FUNCTION modification_ts_update();

CREATE TRIGGER dhcp4_subnet_server_modification_ts_update AFTER UPDATE ON dhcp4_subnet_server FOR EACH ROW EXECUTE FUNCTION modification_ts_update();

CREATE TRIGGER dhcp6_audit_modification_ts_update AFTER UPDATE ON dhcp6_audit FOR EACH ROW EXECUTE FUNCTION modification_ts_update();

CREATE TRIGGER dhcp6_audit_revision_modification_ts_update AFTER UPDATE ON dhcp6_audit_revision FOR EACH ROW EXECUTE FUNCTION modification_ts_update();

CREATE TRIGGER dhcp6_client_class_adel AFTER DELETE ON dhcp6_client_class FOR EACH ROW EXECUTE FUNCTION func_dhcp6_client_class_adel();

CREATE TRIGGER dhcp6_client_class_ains AFTER INSERT ON dhcp6_client_class FOR EACH ROW EXECUTE FUNCTION func_dhcp6_client_class_ains();

CREATE TRIGGER dhcp6_client_class_aupd AFTER UPDATE ON dhcp6_client_class FOR EACH ROW EXECUTE FUNCTION func_dhcp6_client_class_aupd();

CREATE TRIGGER dhcp6_client_class_check_dependency_bins BEFORE INSERT ON dhcp6_client_class_dependency FOR EACH ROW EXECUTE FUNCTION func_dhcp6_client_class_check_dependency_bins();

CREATE TRIGGER dhcp6_client_class_dependency_ains AFTER INSERT ON dhcp6_client_class_dependency FOR EACH ROW EXECUTE FUNCTION func_dhcp6_client_class_dependency_ains();

CREATE TRIGGER dhcp6_global_parameter_adel AFTER DELETE ON dhcp6_global_parameter FOR EACH ROW EXECUTE FUNCTION func_dhcp6_global_parameter_adel();

CREATE TRIGGER dhcp6_global_parameter_ains AFTER INSERT ON dhcp6_global_parameter FOR EACH ROW EXECUTE FUNCTION func_dhcp6_global_parameter_ains();

CREATE TRIGGER dhcp6_global_parameter_aupd AFTER UPDATE ON dhcp6_global_parameter FOR EACH ROW EXECUTE FUNCTION func_dhcp6_global_parameter_aupd();

CREATE TRIGGER dhcp6_global_parameter_modification_ts_update AFTER UPDATE ON dhcp6_global_parameter FOR EACH ROW EXECUTE FUNCTION modification_ts_update();

CREATE TRIGGER dhcp6_global_parameter_server_modification_ts_update AFTER UPDATE ON dhcp6_global_parameter_server FOR EACH ROW EXECUTE FUNCTION modification_ts_update();

CREATE TRIGGER dhcp6_option_def_adel AFTER DELETE ON dhcp6_option_def FOR EACH ROW EXECUTE FUNCTION func_dhcp6_option_def_adel();

CREATE TRIGGER dhcp6_option_def_ains AFTER INSERT ON dhcp6_option_def FOR EACH ROW EXECUTE FUNCTION func_dhcp6_option_def_ains();

CREATE TRIGGER dhcp6_option_def_aupd AFTER UPDATE ON dhcp6_option_def FOR EACH ROW EXECUTE FUNCTION func_dhcp6_option_def_aupd();

CREATE TRIGGER dhcp6_option_def_modification_ts_update AFTER UPDATE ON dhcp6_option_def FOR EACH ROW EXECUTE FUNCTION modification_ts_update();

CREATE TRIGGER dhcp6_option_def_server_modification_ts_update AFTER UPDATE ON dhcp6_option_def_server FOR EACH ROW EXECUTE FUNCTION modification_ts_update();

CREATE TRIGGER dhcp6_options_adel AFTER DELETE ON dhcp6_options FOR EACH ROW EXECUTE FUNCTION func_dhcp6_options_adel();

CREATE TRIGGER dhcp6_options_ains AFTER INSERT ON dhcp6_options FOR EACH ROW EXECUTE FUNCTION func_dhcp6_options_ains();

CREATE TRIGGER dhcp6_options_aupd AFTER UPDATE ON dhcp6_options FOR EACH ROW EXECUTE FUNCTION func_dhcp6_options_aupd();

CREATE TRIGGER dhcp6_options_modification_ts_update AFTER UPDATE ON dhcp6_options FOR EACH ROW EXECUTE FUNCTION modification_ts_update();

CREATE TRIGGER dhcp6_options_server_modification_ts_update AFTER UPDATE ON dhcp6_options_server FOR EACH ROW EXECUTE FUNCTION modification_ts_update();

CREATE TRIGGER dhcp6_pd_pool_modification_ts_update AFTER UPDATE ON dhcp6_pd_pool FOR EACH ROW EXECUTE FUNCTION modification_ts_update();

CREATE TRIGGER dhcp6_pool_bdel BEFORE DELETE ON dhcp6_pool FOR EACH ROW EXECUTE FUNCTION func_dhcp6_pool_bdel();

CREATE TRIGGER dhcp6_pool_modification_ts_update AFTER UPDATE ON dhcp6_pool FOR EACH ROW EXECUTE FUNCTION modification_ts_update();

CREATE TRIGGER dhcp6_server_adel AFTER DELETE ON dhcp6_server FOR EACH ROW EXECUTE FUNCTION func_dhcp6_server_adel();

CREATE TRIGGER dhcp6_server_ains AFTER INSERT ON dhcp6_server FOR EACH ROW EXECUTE FUNCTION func_dhcp6_server_ains();

CREATE TRIGGER dhcp6_server_aupd AFTER UPDATE ON dhcp6_server FOR EACH ROW EXECUTE FUNCTION func_dhcp6_server_aupd();

CREATE TRIGGER dhcp6_server_modification_ts_update AFTER UPDATE ON dhcp6_server FOR EACH ROW EXECUTE FUNCTION modification_ts_update();

CREATE TRIGGER dhcp6_shared_network_ains AFTER INSERT ON dhcp6_shared_network FOR EACH ROW EXECUTE FUNCTION func_dhcp6_shared_network_ains();

CREATE TRIGGER dhcp6_shared_network_aupd AFTER UPDATE ON dhcp6_shared_network FOR EACH ROW EXECUTE FUNCTION func_dhcp6_shared_network_aupd();

CREATE TRIGGER dhcp6_shared_network_bdel BEFORE DELETE ON dhcp6_shared_network FOR EACH ROW EXECUTE FUNCTION func_dhcp6_shared_network_bdel();

CREATE TRIGGER dhcp6_shared_network_modification_ts_update AFTER UPDATE ON dhcp6_shared_network FOR EACH ROW EXECUTE FUNCTION modification_ts_update();

CREATE TRIGGER dhcp6_subnet_ains AFTER INSERT ON dhcp6_subnet FOR EACH ROW EXECUTE FUNCTION func_dhcp6_subnet_ains();

CREATE TRIGGER dhcp6_subnet_aupd AFTER UPDATE ON dhcp6_subnet FOR EACH ROW EXECUTE FUNCTION func_dhcp6_subnet_aupd();

CREATE TRIGGER dhcp6_subnet_bdel BEFORE DELETE ON dhcp6_subnet FOR EACH ROW EXECUTE FUNCTION func_dhcp6_subnet_bdel();

CREATE TRIGGER dhcp6_subnet_modification_ts_update AFTER UPDATE ON dhcp6_server FOR EACH ROW EXECUTE FUNCTION modification_ts_update();

CREATE TRIGGER dhcp6_subnet_server_modification_ts_update AFTER UPDATE ON dhcp6_subnet_server FOR EACH ROW EXECUTE FUNCTION modification_ts_update();

CREATE TRIGGER lease4_adel AFTER DELETE ON lease4 FOR EACH ROW EXECUTE FUNCTION func_lease4_adel();

CREATE TRIGGER lease4_ains AFTER INSERT ON lease4 FOR EACH ROW EXECUTE FUNCTION func_lease4_ains();

CREATE TRIGGER lease4_aupd AFTER UPDATE ON lease4 FOR EACH ROW EXECUTE FUNCTION func_lease4_aupd();

CREATE TRIGGER lease6_adel AFTER DELETE ON lease6 FOR EACH ROW EXECUTE FUNCTION func_lease6_adel();

CREATE TRIGGER lease6_ains AFTER INSERT ON lease6 FOR EACH ROW EXECUTE FUNCTION func_lease6_ains();

CREATE TRIGGER lease6_aupd AFTER UPDATE ON lease6 FOR EACH ROW EXECUTE FUNCTION func_lease6_aupd();

-- Foreign keys.

ALTER TABLE ONLY dhcp4_client_class_dependency
    ADD CONSTRAINT dhcp4_client_class_class_id FOREIGN KEY (class_id) REFERENCES dhcp4_client_class(id) ON DELETE CASCADE;

ALTER TABLE ONLY dhcp4_client_class_dependency
    ADD CONSTRAINT dhcp4_client_class_dependency_id FOREIGN KEY (dependency_id) REFERENCES dhcp4_client_class(id);

ALTER TABLE ONLY dhcp4_option_def_server
    ADD CONSTRAINT dhcp4_option_def_server_option_def_id_fkey FOREIGN KEY (option_def_id) REFERENCES dhcp4_option_def(id) ON DELETE CASCADE;

ALTER TABLE ONLY dhcp4_option_def_server
    ADD CONSTRAINT dhcp4_option_def_server_server_id_fkey FOREIGN KEY (server_id) REFERENCES dhcp4_server(id) ON DELETE CASCADE;

ALTER TABLE ONLY dhcp6_client_class_dependency
    ADD CONSTRAINT dhcp6_client_class_class_id FOREIGN KEY (class_id) REFERENCES dhcp6_client_class(id) ON DELETE CASCADE;

ALTER TABLE ONLY dhcp6_client_class_dependency
    ADD CONSTRAINT dhcp6_client_class_dependency_id FOREIGN KEY (dependency_id) REFERENCES dhcp6_client_class(id);

ALTER TABLE ONLY dhcp6_option_def_server
    ADD CONSTRAINT dhcp6_option_def_server_option_def_id_fkey FOREIGN KEY (option_def_id) REFERENCES dhcp6_option_def(id) ON DELETE CASCADE;

ALTER TABLE ONLY dhcp6_option_def_server
    ADD CONSTRAINT dhcp6_option_def_server_server_id_fkey FOREIGN KEY (server_id) REFERENCES dhcp6_server(id) ON DELETE CASCADE;

ALTER TABLE ONLY dhcp4_shared_network
    ADD CONSTRAINT fk_ddns_replace_client_name FOREIGN KEY (ddns_replace_client_name) REFERENCES ddns_replace_client_name_types(type);

ALTER TABLE ONLY dhcp4_subnet
    ADD CONSTRAINT fk_ddns_replace_client_name FOREIGN KEY (ddns_replace_client_name) REFERENCES ddns_replace_client_name_types(type);

ALTER TABLE ONLY dhcp6_shared_network
    ADD CONSTRAINT fk_ddns_replace_client_name FOREIGN KEY (ddns_replace_client_name) REFERENCES ddns_replace_client_name_types(type);

ALTER TABLE ONLY dhcp6_subnet
    ADD CONSTRAINT fk_ddns_replace_client_name FOREIGN KEY (ddns_replace_client_name) REFERENCES ddns_replace_client_name_types(type);

ALTER TABLE ONLY dhcp4_audit
    ADD CONSTRAINT fk_dhcp4_audit_modification_type FOREIGN KEY (modification_type) REFERENCES modification(id);

ALTER TABLE ONLY dhcp4_audit
    ADD CONSTRAINT fk_dhcp4_audit_revision FOREIGN KEY (revision_id) REFERENCES dhcp4_audit_revision(id) ON UPDATE CASCADE;

ALTER TABLE ONLY dhcp4_client_class_server
    ADD CONSTRAINT fk_dhcp4_client_class_class_id FOREIGN KEY (class_id) REFERENCES dhcp4_client_class(id) ON DELETE CASCADE;

ALTER TABLE ONLY dhcp4_client_class_order
    ADD CONSTRAINT fk_dhcp4_client_class_order_class_id FOREIGN KEY (class_id) REFERENCES dhcp4_client_class(id) ON DELETE CASCADE;

ALTER TABLE ONLY dhcp4_client_class_server
    ADD CONSTRAINT fk_dhcp4_client_class_server_id FOREIGN KEY (server_id) REFERENCES dhcp4_server(id);

ALTER TABLE ONLY dhcp4_global_parameter_server
    ADD CONSTRAINT fk_dhcp4_global_parameter_server_parameter_id FOREIGN KEY (parameter_id) REFERENCES dhcp4_global_parameter(id) ON DELETE CASCADE;

ALTER TABLE ONLY dhcp4_global_parameter_server
    ADD CONSTRAINT fk_dhcp4_global_parameter_server_server_id FOREIGN KEY (server_id) REFERENCES dhcp4_server(id) ON DELETE CASCADE;

ALTER TABLE ONLY dhcp4_option_def
    ADD CONSTRAINT fk_dhcp4_option_def_client_class_id FOREIGN KEY (class_id) REFERENCES dhcp4_client_class(id) ON UPDATE CASCADE ON DELETE CASCADE;

ALTER TABLE ONLY dhcp4_option_def_server
    ADD CONSTRAINT fk_dhcp4_option_def_server_option_def_id FOREIGN KEY (option_def_id) REFERENCES dhcp4_option_def(id) ON DELETE CASCADE;

ALTER TABLE ONLY dhcp4_option_def_server
    ADD CONSTRAINT fk_dhcp4_option_def_server_server_id FOREIGN KEY (server_id) REFERENCES dhcp4_server(id);

ALTER TABLE ONLY dhcp4_options
    ADD CONSTRAINT fk_dhcp4_option_scode FOREIGN KEY (scope_id) REFERENCES dhcp_option_scope(scope_id) ON DELETE CASCADE;

ALTER TABLE ONLY dhcp4_options
    ADD CONSTRAINT fk_dhcp4_options_pool FOREIGN KEY (pool_id) REFERENCES dhcp4_pool(id) ON UPDATE CASCADE ON DELETE CASCADE;

ALTER TABLE ONLY dhcp4_options_server
    ADD CONSTRAINT fk_dhcp4_options_server_option_id FOREIGN KEY (option_id) REFERENCES dhcp4_options(option_id) ON DELETE CASCADE;

ALTER TABLE ONLY dhcp4_options_server
    ADD CONSTRAINT fk_dhcp4_options_server_server_id FOREIGN KEY (server_id) REFERENCES dhcp4_server(id) ON DELETE CASCADE;

ALTER TABLE ONLY dhcp4_options
    ADD CONSTRAINT fk_dhcp4_options_shared_network FOREIGN KEY (shared_network_name) REFERENCES dhcp4_shared_network(name) ON UPDATE CASCADE ON DELETE CASCADE;

ALTER TABLE ONLY dhcp4_options
    ADD CONSTRAINT fk_dhcp4_options_subnet FOREIGN KEY (dhcp4_subnet_id) REFERENCES dhcp4_subnet(subnet_id) ON UPDATE CASCADE ON DELETE CASCADE;

ALTER TABLE ONLY dhcp4_pool
    ADD CONSTRAINT fk_dhcp4_pool_subnet_id FOREIGN KEY (subnet_id) REFERENCES dhcp4_subnet(subnet_id);

ALTER TABLE ONLY dhcp4_shared_network_server
    ADD CONSTRAINT fk_dhcp4_shared_network_server_server_id FOREIGN KEY (server_id) REFERENCES dhcp4_server(id) ON DELETE CASCADE;

ALTER TABLE ONLY dhcp4_shared_network_server
    ADD CONSTRAINT fk_dhcp4_shared_network_server_shared_network_id FOREIGN KEY (shared_network_id) REFERENCES dhcp4_shared_network(id) ON DELETE CASCADE;

ALTER TABLE ONLY dhcp4_subnet_server
    ADD CONSTRAINT fk_dhcp4_subnet_server_server_id FOREIGN KEY (server_id) REFERENCES dhcp4_server(id) ON UPDATE CASCADE ON DELETE CASCADE;

ALTER TABLE ONLY dhcp4_subnet_server
    ADD CONSTRAINT fk_dhcp4_subnet_server_subnet_id FOREIGN KEY (subnet_id) REFERENCES dhcp4_subnet(subnet_id) ON UPDATE CASCADE ON DELETE CASCADE;

ALTER TABLE ONLY dhcp4_subnet
    ADD CONSTRAINT fk_dhcp4_subnet_shared_network FOREIGN KEY (shared_network_name) REFERENCES dhcp4_shared_network(name);

ALTER TABLE ONLY dhcp6_audit
    ADD CONSTRAINT fk_dhcp6_audit_modification_type FOREIGN KEY (modification_type) REFERENCES modification(id);

ALTER TABLE ONLY dhcp6_audit
    ADD CONSTRAINT fk_dhcp6_audit_revision FOREIGN KEY (revision_id) REFERENCES dhcp6_audit_revision(id) ON UPDATE CASCADE;

ALTER TABLE ONLY dhcp6_client_class_server
    ADD CONSTRAINT fk_dhcp6_client_class_class_id FOREIGN KEY (class_id) REFERENCES dhcp6_client_class(id) ON DELETE CASCADE;

ALTER TABLE ONLY dhcp6_client_class_order
    ADD CONSTRAINT fk_dhcp6_client_class_order_class_id FOREIGN KEY (class_id) REFERENCES dhcp6_client_class(id) ON DELETE CASCADE;

ALTER TABLE ONLY dhcp6_client_class_server
    ADD CONSTRAINT fk_dhcp6_client_class_server_id FOREIGN KEY (server_id) REFERENCES dhcp6_server(id);

ALTER TABLE ONLY dhcp6_global_parameter_server
    ADD CONSTRAINT fk_dhcp6_global_parameter_server_parameter_id FOREIGN KEY (parameter_id) REFERENCES dhcp6_global_parameter(id) ON DELETE CASCADE;

ALTER TABLE ONLY dhcp6_global_parameter_server
    ADD CONSTRAINT fk_dhcp6_global_parameter_server_server_id FOREIGN KEY (server_id) REFERENCES dhcp6_server(id) ON DELETE CASCADE;

ALTER TABLE ONLY dhcp4_global_parameter
    ADD CONSTRAINT fk_dhcp6_global_parameter_type FOREIGN KEY (parameter_type) REFERENCES parameter_data_type(id);

ALTER TABLE ONLY dhcp6_global_parameter
    ADD CONSTRAINT fk_dhcp6_global_parameter_type FOREIGN KEY (parameter_type) REFERENCES parameter_data_type(id);

ALTER TABLE ONLY dhcp6_option_def
    ADD CONSTRAINT fk_dhcp6_option_def_client_class_id FOREIGN KEY (class_id) REFERENCES dhcp6_client_class(id) ON UPDATE CASCADE ON DELETE CASCADE;

ALTER TABLE ONLY dhcp6_option_def_server
    ADD CONSTRAINT fk_dhcp6_option_def_server_option_def_id FOREIGN KEY (option_def_id) REFERENCES dhcp6_option_def(id) ON DELETE CASCADE;

ALTER TABLE ONLY dhcp6_option_def_server
    ADD CONSTRAINT fk_dhcp6_option_def_server_server_id FOREIGN KEY (server_id) REFERENCES dhcp6_server(id);

ALTER TABLE ONLY dhcp6_options
    ADD CONSTRAINT fk_dhcp6_option_scode FOREIGN KEY (scope_id) REFERENCES dhcp_option_scope(scope_id) ON DELETE CASCADE;

ALTER TABLE ONLY dhcp6_options
    ADD CONSTRAINT fk_dhcp6_options_pd_pool FOREIGN KEY (pd_pool_id) REFERENCES dhcp6_pd_pool(id) ON UPDATE CASCADE ON DELETE CASCADE;

ALTER TABLE ONLY dhcp6_options
    ADD CONSTRAINT fk_dhcp6_options_pool FOREIGN KEY (pool_id) REFERENCES dhcp6_pool(id) ON UPDATE CASCADE ON DELETE CASCADE;

ALTER TABLE ONLY dhcp6_options_server
    ADD CONSTRAINT fk_dhcp6_options_server_option_id FOREIGN KEY (option_id) REFERENCES dhcp6_options(option_id) ON DELETE CASCADE;

ALTER TABLE ONLY dhcp6_options_server
    ADD CONSTRAINT fk_dhcp6_options_server_server_id FOREIGN KEY (server_id) REFERENCES dhcp6_server(id) ON DELETE CASCADE;

ALTER TABLE ONLY dhcp6_options
    ADD CONSTRAINT fk_dhcp6_options_shared_network FOREIGN KEY (shared_network_name) REFERENCES dhcp6_shared_network(name) ON UPDATE CASCADE ON DELETE CASCADE;

ALTER TABLE ONLY dhcp6_options
    ADD CONSTRAINT fk_dhcp6_options_subnet FOREIGN KEY (dhcp6_subnet_id) REFERENCES dhcp6_subnet(subnet_id) ON UPDATE CASCADE ON DELETE CASCADE;

ALTER TABLE ONLY dhcp6_pd_pool
    ADD CONSTRAINT fk_dhcp6_pd_pool_subnet_id FOREIGN KEY (subnet_id) REFERENCES dhcp6_subnet(subnet_id);

ALTER TABLE ONLY dhcp6_pool
    ADD CONSTRAINT fk_dhcp6_pool_subnet_id FOREIGN KEY (subnet_id) REFERENCES dhcp6_subnet(subnet_id);

ALTER TABLE ONLY dhcp6_shared_network_server
    ADD CONSTRAINT fk_dhcp6_shared_network_server_server_id FOREIGN KEY (server_id) REFERENCES dhcp6_server(id) ON DELETE CASCADE;

ALTER TABLE ONLY dhcp6_shared_network_server
    ADD CONSTRAINT fk_dhcp6_shared_network_server_shared_network_id FOREIGN KEY (shared_network_id) REFERENCES dhcp6_shared_network(id) ON DELETE CASCADE;

ALTER TABLE ONLY dhcp6_subnet_server
    ADD CONSTRAINT fk_dhcp6_subnet_server_server_id FOREIGN KEY (server_id) REFERENCES dhcp6_server(id) ON UPDATE CASCADE ON DELETE CASCADE;

ALTER TABLE ONLY dhcp6_subnet_server
    ADD CONSTRAINT fk_dhcp6_subnet_server_subnet_id FOREIGN KEY (subnet_id) REFERENCES dhcp6_subnet(subnet_id) ON UPDATE CASCADE ON DELETE CASCADE;

ALTER TABLE ONLY dhcp6_subnet
    ADD CONSTRAINT fk_dhcp6_subnet_shared_network FOREIGN KEY (shared_network_name) REFERENCES dhcp6_shared_network(name);

ALTER TABLE ONLY hosts
    ADD CONSTRAINT fk_host_identifier_type FOREIGN KEY (dhcp_identifier_type) REFERENCES host_identifier_type(type) ON DELETE CASCADE;

ALTER TABLE ONLY ipv6_reservations
    ADD CONSTRAINT fk_ipv6_reservations_host FOREIGN KEY (host_id) REFERENCES hosts(host_id) ON DELETE CASCADE;

ALTER TABLE ONLY lease4
    ADD CONSTRAINT fk_lease4_state FOREIGN KEY (state) REFERENCES lease_state(state);

ALTER TABLE ONLY lease6_stat_by_client_class
    ADD CONSTRAINT fk_lease6_stat_by_client_class_lease_type FOREIGN KEY (lease_type) REFERENCES lease6_types(lease_type);

ALTER TABLE ONLY lease6
    ADD CONSTRAINT fk_lease6_state FOREIGN KEY (state) REFERENCES lease_state(state);

ALTER TABLE ONLY lease6
    ADD CONSTRAINT fk_lease6_type FOREIGN KEY (lease_type) REFERENCES lease6_types(lease_type);

ALTER TABLE ONLY dhcp4_options
    ADD CONSTRAINT fk_options_host1 FOREIGN KEY (host_id) REFERENCES hosts(host_id) ON DELETE CASCADE;

ALTER TABLE ONLY dhcp6_options
    ADD CONSTRAINT fk_options_host10 FOREIGN KEY (host_id) REFERENCES hosts(host_id) ON DELETE CASCADE;

