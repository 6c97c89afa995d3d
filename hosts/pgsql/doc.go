// Package pgsql is a hosts.Store over the host tables of Kea's PostgreSQL
// schema 13.0 (Kea 2.2's, made by `kea-admin db-init pgsql`) and 34.0
// (Kea 3.1.9 and 3.2's, made by `leased db upgrade`), so that leased and
// kea-dhcp4 serve the same reservations from one database.
//
// Between 13.0 and 34.0 the hosts table is unchanged; dhcp4_options gains
// cancelled (14.0: the option is never sent, never-send) and
// client_classes (26.0, NOT NULL since 30.0: the JSON list of classes the
// option is limited to, "[  ]" for none). On 34.0 both are read into the
// option and written as Kea 3 writes them; on 13.0 a reservation with
// either is refused by Add, since the schema could not keep it.
//
// It reads the tables as kea-dhcp4 2.2's PgSqlHostDataSource does: a host
// and its DHCPv4 options in one query (hosts LEFT JOIN dhcp4_options,
// ordered by host and option), dhcp4_subnet_id 0 for global reservations
// and NULL for hosts that are DHCPv6 only (never returned), NULL or 0 for
// no address, NULL text as empty, client classes as a comma-separated
// list, flex-id numbered 4 as in host_identifier_type. An option's
// formatted_value, when not empty, is read by the option's definition as
// comma-separated fields; otherwise its value column is the payload. An
// empty space is dhcp4; persistent is always-send.
//
// It writes as Kea 2.2 writes (reservation-add of the host_cmds hook): one
// transaction inserting the hosts row (dhcp6_subnet_id and auth_key NULL,
// empty strings for absent text, 0 for no address or next server) and one
// dhcp4_options row per option with scope_id 3, the formatted value when
// the option was given as comma-separated values, else the payload. A
// second reservation of one identifier in one subnet violates Kea's unique
// index and is hosts.ErrExists.
//
// A lookup by a client's identifiers (Find) is one prepared statement
// whatever the number of identifiers, answered from Kea's index on
// (dhcp_identifier, dhcp_identifier_type); a lookup by address, from the
// index on (ipv4_address, dhcp4_subnet_id). The connections use generic
// plans, so a lookup is not planned again at each execution. Nothing is
// cached: a reservation another server (or kea-dhcp4) adds is served from
// the next message on, as Kea without its host_cache hook does.
//
// Open refuses any schema version but 13.0 and 34.0, and host tables
// whose columns differ from that version's. Ping is what the daemon's
// recovery of a lost connection (on-fail) tries. Errors name the database, host and user; the
// password never appears.
package pgsql
