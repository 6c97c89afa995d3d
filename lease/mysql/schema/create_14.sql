-- Kea's MySQL schema 14.0 (Kea 2.2's), as kea-admin db-init mysql makes it.
-- The tables, keys, indexes, lookup rows and the names and parameters of
-- the routines and triggers are Kea's interface; the routines' and
-- triggers' bodies are leased's own. Statements end at a line $$.
SET SESSION foreign_key_checks = 0
$$
CREATE TABLE `dhcp4_audit` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `object_type` varchar(256) NOT NULL,
  `object_id` bigint(20) unsigned NOT NULL,
  `modification_type` tinyint(1) NOT NULL,
  `revision_id` bigint(20) unsigned NOT NULL,
  PRIMARY KEY (`id`),
  KEY `fk_dhcp4_audit_modification_type` (`modification_type`),
  KEY `fk_dhcp4_audit_revision` (`revision_id`),
  CONSTRAINT `fk_dhcp4_audit_modification_type` FOREIGN KEY (`modification_type`) REFERENCES `modification` (`id`) ON DELETE NO ACTION ON UPDATE NO ACTION,
  CONSTRAINT `fk_dhcp4_audit_revision` FOREIGN KEY (`revision_id`) REFERENCES `dhcp4_audit_revision` (`id`) ON DELETE NO ACTION ON UPDATE CASCADE
) ENGINE=InnoDB
$$

CREATE TABLE `dhcp4_audit_revision` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `modification_ts` timestamp NOT NULL,
  `log_message` text DEFAULT NULL,
  `server_id` bigint(10) unsigned DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `key_dhcp4_audit_revision_by_modification_ts` (`modification_ts`)
) ENGINE=InnoDB
$$

CREATE TABLE `dhcp4_client_class` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `name` varchar(128) NOT NULL,
  `test` text DEFAULT NULL,
  `next_server` int(10) unsigned DEFAULT NULL,
  `server_hostname` varchar(128) DEFAULT NULL,
  `boot_file_name` varchar(512) DEFAULT NULL,
  `only_if_required` tinyint(4) NOT NULL DEFAULT 0,
  `valid_lifetime` int(11) DEFAULT NULL,
  `min_valid_lifetime` int(11) DEFAULT NULL,
  `max_valid_lifetime` int(11) DEFAULT NULL,
  `depend_on_known_directly` tinyint(4) NOT NULL DEFAULT 0,
  `follow_class_name` varchar(128) DEFAULT NULL,
  `modification_ts` timestamp NOT NULL,
  `user_context` longtext DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `id_UNIQUE` (`id`),
  UNIQUE KEY `name_UNIQUE` (`name`),
  KEY `key_dhcp4_client_class_modification_ts` (`modification_ts`)
) ENGINE=InnoDB
$$

CREATE TABLE `dhcp4_client_class_dependency` (
  `class_id` bigint(20) unsigned NOT NULL,
  `dependency_id` bigint(20) unsigned NOT NULL,
  PRIMARY KEY (`class_id`,`dependency_id`),
  KEY `dhcp4_client_class_dependency_id_idx` (`dependency_id`),
  CONSTRAINT `dhcp4_client_class_class_id` FOREIGN KEY (`class_id`) REFERENCES `dhcp4_client_class` (`id`) ON DELETE CASCADE,
  CONSTRAINT `dhcp4_client_class_dependency_id` FOREIGN KEY (`dependency_id`) REFERENCES `dhcp4_client_class` (`id`)
) ENGINE=InnoDB
$$

CREATE TABLE `dhcp4_client_class_order` (
  `class_id` bigint(20) unsigned NOT NULL,
  `order_index` bigint(20) unsigned NOT NULL,
  `depend_on_known_indirectly` tinyint(4) NOT NULL DEFAULT 0,
  PRIMARY KEY (`class_id`),
  KEY `key_dhcp4_client_class_order_index` (`order_index`),
  CONSTRAINT `fk_dhcp4_client_class_order_class_id` FOREIGN KEY (`class_id`) REFERENCES `dhcp4_client_class` (`id`) ON DELETE CASCADE
) ENGINE=InnoDB
$$

CREATE TABLE `dhcp4_client_class_server` (
  `class_id` bigint(20) unsigned NOT NULL,
  `server_id` bigint(20) unsigned NOT NULL,
  `modification_ts` timestamp NULL DEFAULT NULL,
  PRIMARY KEY (`class_id`,`server_id`),
  KEY `fk_dhcp4_client_class_server_id` (`server_id`),
  CONSTRAINT `fk_dhcp4_client_class_class_id` FOREIGN KEY (`class_id`) REFERENCES `dhcp4_client_class` (`id`) ON DELETE CASCADE,
  CONSTRAINT `fk_dhcp4_client_class_server_id` FOREIGN KEY (`server_id`) REFERENCES `dhcp4_server` (`id`)
) ENGINE=InnoDB
$$

CREATE TABLE `dhcp4_global_parameter` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `name` varchar(128) NOT NULL,
  `value` longtext NOT NULL,
  `modification_ts` timestamp NOT NULL,
  `parameter_type` tinyint(3) unsigned NOT NULL,
  PRIMARY KEY (`id`),
  KEY `key_dhcp4_global_parameter_modification_ts` (`modification_ts`),
  KEY `key_dhcp4_global_parameter_name` (`name`),
  KEY `fk_dhcp4_global_parameter_type` (`parameter_type`),
  CONSTRAINT `fk_dhcp4_global_parameter_type` FOREIGN KEY (`parameter_type`) REFERENCES `parameter_data_type` (`id`)
) ENGINE=InnoDB
$$

CREATE TABLE `dhcp4_global_parameter_server` (
  `parameter_id` bigint(20) unsigned NOT NULL,
  `server_id` bigint(20) unsigned NOT NULL,
  `modification_ts` timestamp NOT NULL,
  PRIMARY KEY (`parameter_id`,`server_id`),
  KEY `fk_dhcp4_global_parameter_server_server_id` (`server_id`),
  KEY `key_dhcp4_global_parameter_server` (`modification_ts`),
  CONSTRAINT `fk_dhcp4_global_parameter_server_parameter_id` FOREIGN KEY (`parameter_id`) REFERENCES `dhcp4_global_parameter` (`id`) ON DELETE CASCADE ON UPDATE NO ACTION,
  CONSTRAINT `fk_dhcp4_global_parameter_server_server_id` FOREIGN KEY (`server_id`) REFERENCES `dhcp4_server` (`id`) ON DELETE CASCADE ON UPDATE NO ACTION
) ENGINE=InnoDB
$$

CREATE TABLE `dhcp4_options` (
  `option_id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `code` tinyint(3) unsigned NOT NULL,
  `value` blob DEFAULT NULL,
  `formatted_value` text DEFAULT NULL,
  `space` varchar(128) DEFAULT NULL,
  `persistent` tinyint(1) NOT NULL DEFAULT 0,
  `dhcp_client_class` varchar(128) DEFAULT NULL,
  `dhcp4_subnet_id` int(10) unsigned DEFAULT NULL,
  `host_id` int(10) unsigned DEFAULT NULL,
  `scope_id` tinyint(3) unsigned NOT NULL,
  `user_context` text DEFAULT NULL,
  `shared_network_name` varchar(128) DEFAULT NULL,
  `pool_id` bigint(20) unsigned DEFAULT NULL,
  `modification_ts` timestamp NOT NULL DEFAULT current_timestamp(),
  PRIMARY KEY (`option_id`),
  UNIQUE KEY `option_id_UNIQUE` (`option_id`),
  KEY `fk_options_host1_idx` (`host_id`),
  KEY `fk_dhcp4_option_scope` (`scope_id`),
  KEY `fk_dhcp4_options_shared_network` (`shared_network_name`),
  KEY `fk_dhcp4_options_subnet` (`dhcp4_subnet_id`),
  KEY `fk_dhcp4_options_pool` (`pool_id`),
  KEY `fk_dhcp4_options_client_class` (`dhcp_client_class`),
  CONSTRAINT `fk_dhcp4_option_scope` FOREIGN KEY (`scope_id`) REFERENCES `dhcp_option_scope` (`scope_id`),
  CONSTRAINT `fk_dhcp4_options_Host` FOREIGN KEY (`host_id`) REFERENCES `hosts` (`host_id`) ON DELETE CASCADE ON UPDATE CASCADE,
  CONSTRAINT `fk_dhcp4_options_client_class` FOREIGN KEY (`dhcp_client_class`) REFERENCES `dhcp4_client_class` (`name`) ON DELETE CASCADE ON UPDATE CASCADE,
  CONSTRAINT `fk_dhcp4_options_pool` FOREIGN KEY (`pool_id`) REFERENCES `dhcp4_pool` (`id`) ON DELETE CASCADE ON UPDATE CASCADE,
  CONSTRAINT `fk_dhcp4_options_shared_network` FOREIGN KEY (`shared_network_name`) REFERENCES `dhcp4_shared_network` (`name`) ON DELETE CASCADE ON UPDATE CASCADE,
  CONSTRAINT `fk_dhcp4_options_subnet` FOREIGN KEY (`dhcp4_subnet_id`) REFERENCES `dhcp4_subnet` (`subnet_id`) ON DELETE CASCADE ON UPDATE CASCADE,
  CONSTRAINT `fk_options_host1` FOREIGN KEY (`host_id`) REFERENCES `hosts` (`host_id`) ON DELETE NO ACTION ON UPDATE NO ACTION
) ENGINE=InnoDB
$$

CREATE TABLE `dhcp4_options_server` (
  `option_id` bigint(20) unsigned NOT NULL,
  `server_id` bigint(20) unsigned NOT NULL,
  `modification_ts` timestamp NOT NULL,
  PRIMARY KEY (`option_id`,`server_id`),
  KEY `fk_dhcp4_options_server_server_id` (`server_id`),
  KEY `key_dhcp4_options_server_modification_ts` (`modification_ts`),
  CONSTRAINT `fk_dhcp4_options_server_option_id` FOREIGN KEY (`option_id`) REFERENCES `dhcp4_options` (`option_id`) ON DELETE CASCADE ON UPDATE NO ACTION,
  CONSTRAINT `fk_dhcp4_options_server_server_id` FOREIGN KEY (`server_id`) REFERENCES `dhcp4_server` (`id`) ON DELETE CASCADE ON UPDATE NO ACTION
) ENGINE=InnoDB
$$

CREATE TABLE `dhcp4_option_def` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `code` smallint(5) unsigned NOT NULL,
  `name` varchar(128) NOT NULL,
  `space` varchar(128) NOT NULL,
  `type` tinyint(3) unsigned NOT NULL,
  `modification_ts` timestamp NOT NULL,
  `is_array` tinyint(1) NOT NULL,
  `encapsulate` varchar(128) NOT NULL,
  `record_types` varchar(512) DEFAULT NULL,
  `user_context` longtext DEFAULT NULL,
  `class_id` bigint(20) unsigned DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `key_dhcp4_option_def_modification_ts` (`modification_ts`),
  KEY `key_dhcp4_option_def_code_space` (`code`,`space`),
  KEY `fk_dhcp4_option_def_client_class_id` (`class_id`),
  CONSTRAINT `fk_dhcp4_option_def_client_class_id` FOREIGN KEY (`class_id`) REFERENCES `dhcp4_client_class` (`id`) ON DELETE CASCADE ON UPDATE CASCADE
) ENGINE=InnoDB
$$

CREATE TABLE `dhcp4_option_def_server` (
  `option_def_id` bigint(20) unsigned NOT NULL,
  `server_id` bigint(20) unsigned NOT NULL,
  `modification_ts` timestamp NOT NULL,
  PRIMARY KEY (`option_def_id`,`server_id`),
  KEY `fk_dhcp4_option_def_server_server_id_idx` (`server_id`),
  KEY `key_dhcp4_option_def_server_modification_ts` (`modification_ts`),
  CONSTRAINT `fk_dhcp4_option_def_server_option_def_id` FOREIGN KEY (`option_def_id`) REFERENCES `dhcp4_option_def` (`id`) ON DELETE CASCADE ON UPDATE NO ACTION,
  CONSTRAINT `fk_dhcp4_option_def_server_server_id` FOREIGN KEY (`server_id`) REFERENCES `dhcp4_server` (`id`) ON DELETE CASCADE ON UPDATE NO ACTION
) ENGINE=InnoDB
$$

CREATE TABLE `dhcp4_pool` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `start_address` int(10) unsigned NOT NULL,
  `end_address` int(10) unsigned NOT NULL,
  `subnet_id` int(10) unsigned NOT NULL,
  `modification_ts` timestamp NOT NULL,
  `client_class` varchar(128) DEFAULT NULL,
  `require_client_classes` longtext DEFAULT NULL,
  `user_context` longtext DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `key_dhcp4_pool_modification_ts` (`modification_ts`),
  KEY `fk_dhcp4_pool_subnet_id` (`subnet_id`),
  CONSTRAINT `fk_dhcp4_pool_subnet_id` FOREIGN KEY (`subnet_id`) REFERENCES `dhcp4_subnet` (`subnet_id`) ON DELETE NO ACTION ON UPDATE CASCADE
) ENGINE=InnoDB
$$

CREATE TABLE `dhcp4_server` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `tag` varchar(64) NOT NULL,
  `description` text DEFAULT NULL,
  `modification_ts` timestamp NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `dhcp4_server_tag_UNIQUE` (`tag`),
  KEY `key_dhcp4_server_modification_ts` (`modification_ts`)
) ENGINE=InnoDB
$$

CREATE TABLE `dhcp4_shared_network` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `name` varchar(128) NOT NULL,
  `client_class` varchar(128) DEFAULT NULL,
  `interface` varchar(128) DEFAULT NULL,
  `match_client_id` tinyint(1) DEFAULT NULL,
  `modification_ts` timestamp NOT NULL,
  `rebind_timer` int(10) DEFAULT NULL,
  `relay` longtext DEFAULT NULL,
  `renew_timer` int(10) DEFAULT NULL,
  `require_client_classes` longtext DEFAULT NULL,
  `user_context` longtext DEFAULT NULL,
  `valid_lifetime` int(10) DEFAULT NULL,
  `authoritative` tinyint(1) DEFAULT NULL,
  `calculate_tee_times` tinyint(1) DEFAULT NULL,
  `t1_percent` float DEFAULT NULL,
  `t2_percent` float DEFAULT NULL,
  `boot_file_name` varchar(512) DEFAULT NULL,
  `next_server` int(10) unsigned DEFAULT NULL,
  `server_hostname` varchar(512) DEFAULT NULL,
  `min_valid_lifetime` int(10) DEFAULT NULL,
  `max_valid_lifetime` int(10) DEFAULT NULL,
  `ddns_send_updates` tinyint(1) DEFAULT NULL,
  `ddns_override_no_update` tinyint(1) DEFAULT NULL,
  `ddns_override_client_update` tinyint(1) DEFAULT NULL,
  `ddns_replace_client_name` tinyint(3) DEFAULT NULL,
  `ddns_generated_prefix` varchar(255) DEFAULT NULL,
  `ddns_qualifying_suffix` varchar(255) DEFAULT NULL,
  `reservations_global` tinyint(1) DEFAULT NULL,
  `reservations_in_subnet` tinyint(1) DEFAULT NULL,
  `reservations_out_of_pool` tinyint(1) DEFAULT NULL,
  `cache_threshold` float DEFAULT NULL,
  `cache_max_age` int(10) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `name_UNIQUE` (`name`),
  KEY `key_dhcp4_shared_network_modification_ts` (`modification_ts`)
) ENGINE=InnoDB
$$

CREATE TABLE `dhcp4_shared_network_server` (
  `shared_network_id` bigint(20) unsigned NOT NULL,
  `server_id` bigint(20) unsigned NOT NULL,
  `modification_ts` timestamp NOT NULL,
  PRIMARY KEY (`shared_network_id`,`server_id`),
  KEY `key_dhcp4_shared_network_server_modification_ts` (`modification_ts`),
  KEY `fk_dhcp4_shared_network_server_server_id` (`server_id`),
  CONSTRAINT `fk_dhcp4_shared_network_server_server_id` FOREIGN KEY (`server_id`) REFERENCES `dhcp4_server` (`id`) ON DELETE CASCADE ON UPDATE NO ACTION,
  CONSTRAINT `fk_dhcp4_shared_network_server_shared_network_id` FOREIGN KEY (`shared_network_id`) REFERENCES `dhcp4_shared_network` (`id`) ON DELETE CASCADE ON UPDATE NO ACTION
) ENGINE=InnoDB
$$

CREATE TABLE `dhcp4_subnet` (
  `subnet_id` int(10) unsigned NOT NULL,
  `subnet_prefix` varchar(32) NOT NULL,
  `4o6_interface` varchar(128) DEFAULT NULL,
  `4o6_interface_id` varchar(128) DEFAULT NULL,
  `4o6_subnet` varchar(64) DEFAULT NULL,
  `boot_file_name` varchar(512) DEFAULT NULL,
  `client_class` varchar(128) DEFAULT NULL,
  `interface` varchar(128) DEFAULT NULL,
  `match_client_id` tinyint(1) DEFAULT NULL,
  `modification_ts` timestamp NOT NULL,
  `next_server` int(10) unsigned DEFAULT NULL,
  `rebind_timer` int(10) DEFAULT NULL,
  `relay` longtext DEFAULT NULL,
  `renew_timer` int(10) DEFAULT NULL,
  `require_client_classes` longtext DEFAULT NULL,
  `server_hostname` varchar(512) DEFAULT NULL,
  `shared_network_name` varchar(128) DEFAULT NULL,
  `user_context` longtext DEFAULT NULL,
  `valid_lifetime` int(10) DEFAULT NULL,
  `authoritative` tinyint(1) DEFAULT NULL,
  `calculate_tee_times` tinyint(1) DEFAULT NULL,
  `t1_percent` float DEFAULT NULL,
  `t2_percent` float DEFAULT NULL,
  `min_valid_lifetime` int(10) DEFAULT NULL,
  `max_valid_lifetime` int(10) DEFAULT NULL,
  `ddns_send_updates` tinyint(1) DEFAULT NULL,
  `ddns_override_no_update` tinyint(1) DEFAULT NULL,
  `ddns_override_client_update` tinyint(1) DEFAULT NULL,
  `ddns_replace_client_name` tinyint(3) DEFAULT NULL,
  `ddns_generated_prefix` varchar(255) DEFAULT NULL,
  `ddns_qualifying_suffix` varchar(255) DEFAULT NULL,
  `reservations_global` tinyint(1) DEFAULT NULL,
  `reservations_in_subnet` tinyint(1) DEFAULT NULL,
  `reservations_out_of_pool` tinyint(1) DEFAULT NULL,
  `cache_threshold` float DEFAULT NULL,
  `cache_max_age` int(10) DEFAULT NULL,
  PRIMARY KEY (`subnet_id`),
  UNIQUE KEY `subnet4_subnet_prefix` (`subnet_prefix`),
  KEY `fk_dhcp4_subnet_shared_network` (`shared_network_name`),
  KEY `key_dhcp4_subnet_modification_ts` (`modification_ts`),
  CONSTRAINT `fk_dhcp4_subnet_shared_network` FOREIGN KEY (`shared_network_name`) REFERENCES `dhcp4_shared_network` (`name`) ON DELETE NO ACTION ON UPDATE NO ACTION
) ENGINE=InnoDB
$$

CREATE TABLE `dhcp4_subnet_server` (
  `subnet_id` int(10) unsigned NOT NULL,
  `server_id` bigint(20) unsigned NOT NULL,
  `modification_ts` timestamp NOT NULL,
  PRIMARY KEY (`subnet_id`,`server_id`),
  KEY `fk_dhcp4_subnet_server_server_id_idx` (`server_id`),
  KEY `key_dhcp4_subnet_server_modification_ts` (`modification_ts`),
  CONSTRAINT `fk_dhcp4_subnet_server_server_id` FOREIGN KEY (`server_id`) REFERENCES `dhcp4_server` (`id`) ON DELETE CASCADE ON UPDATE NO ACTION,
  CONSTRAINT `fk_dhcp4_subnet_server_subnet_id` FOREIGN KEY (`subnet_id`) REFERENCES `dhcp4_subnet` (`subnet_id`) ON DELETE CASCADE ON UPDATE CASCADE
) ENGINE=InnoDB
$$

CREATE TABLE `dhcp6_audit` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `object_type` varchar(256) NOT NULL,
  `object_id` bigint(20) unsigned NOT NULL,
  `modification_type` tinyint(1) NOT NULL,
  `revision_id` bigint(20) unsigned NOT NULL,
  PRIMARY KEY (`id`),
  KEY `fk_dhcp6_audit_modification_type` (`modification_type`),
  KEY `fk_dhcp6_audit_revision` (`revision_id`),
  CONSTRAINT `fk_dhcp6_audit_modification_type` FOREIGN KEY (`modification_type`) REFERENCES `modification` (`id`) ON DELETE NO ACTION ON UPDATE NO ACTION,
  CONSTRAINT `fk_dhcp6_audit_revision` FOREIGN KEY (`revision_id`) REFERENCES `dhcp6_audit_revision` (`id`) ON DELETE NO ACTION ON UPDATE CASCADE
) ENGINE=InnoDB
$$

CREATE TABLE `dhcp6_audit_revision` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `modification_ts` timestamp NOT NULL,
  `log_message` text DEFAULT NULL,
  `server_id` bigint(10) unsigned DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `key_dhcp6_audit_revision_by_modification_ts` (`modification_ts`)
) ENGINE=InnoDB
$$

CREATE TABLE `dhcp6_client_class` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `name` varchar(128) NOT NULL,
  `test` text DEFAULT NULL,
  `only_if_required` tinyint(4) NOT NULL DEFAULT 0,
  `valid_lifetime` int(11) DEFAULT NULL,
  `min_valid_lifetime` int(11) DEFAULT NULL,
  `max_valid_lifetime` int(11) DEFAULT NULL,
  `depend_on_known_directly` tinyint(4) NOT NULL DEFAULT 0,
  `follow_class_name` varchar(128) DEFAULT NULL,
  `modification_ts` timestamp NOT NULL,
  `preferred_lifetime` int(10) DEFAULT NULL,
  `min_preferred_lifetime` int(10) DEFAULT NULL,
  `max_preferred_lifetime` int(10) DEFAULT NULL,
  `user_context` longtext DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `id_UNIQUE` (`id`),
  UNIQUE KEY `name_UNIQUE` (`name`),
  KEY `key_dhcp6_client_class_modification_ts` (`modification_ts`)
) ENGINE=InnoDB
$$

CREATE TABLE `dhcp6_client_class_dependency` (
  `class_id` bigint(20) unsigned NOT NULL,
  `dependency_id` bigint(20) unsigned NOT NULL,
  PRIMARY KEY (`class_id`,`dependency_id`),
  KEY `dhcp6_client_class_dependency_id_idx` (`dependency_id`),
  CONSTRAINT `dhcp6_client_class_class_id` FOREIGN KEY (`class_id`) REFERENCES `dhcp6_client_class` (`id`) ON DELETE CASCADE,
  CONSTRAINT `dhcp6_client_class_dependency_id` FOREIGN KEY (`dependency_id`) REFERENCES `dhcp6_client_class` (`id`)
) ENGINE=InnoDB
$$

CREATE TABLE `dhcp6_client_class_order` (
  `class_id` bigint(20) unsigned NOT NULL,
  `order_index` bigint(20) unsigned NOT NULL,
  `depend_on_known_indirectly` tinyint(4) NOT NULL DEFAULT 0,
  PRIMARY KEY (`class_id`),
  KEY `key_dhcp6_client_class_order_index` (`order_index`),
  CONSTRAINT `fk_dhcp6_client_class_order_class_id` FOREIGN KEY (`class_id`) REFERENCES `dhcp6_client_class` (`id`) ON DELETE CASCADE
) ENGINE=InnoDB
$$

CREATE TABLE `dhcp6_client_class_server` (
  `class_id` bigint(20) unsigned NOT NULL,
  `server_id` bigint(20) unsigned NOT NULL,
  `modification_ts` timestamp NULL DEFAULT NULL,
  PRIMARY KEY (`class_id`,`server_id`),
  KEY `fk_dhcp6_client_class_server_id` (`server_id`),
  CONSTRAINT `fk_dhcp6_client_class_class_id` FOREIGN KEY (`class_id`) REFERENCES `dhcp6_client_class` (`id`) ON DELETE CASCADE,
  CONSTRAINT `fk_dhcp6_client_class_server_id` FOREIGN KEY (`server_id`) REFERENCES `dhcp6_server` (`id`)
) ENGINE=InnoDB
$$

CREATE TABLE `dhcp6_global_parameter` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `name` varchar(128) NOT NULL,
  `value` longtext NOT NULL,
  `modification_ts` timestamp NOT NULL,
  `parameter_type` tinyint(3) unsigned NOT NULL,
  PRIMARY KEY (`id`),
  KEY `key_dhcp6_global_parameter_modification_ts` (`modification_ts`),
  KEY `key_dhcp6_global_parameter_name` (`name`),
  KEY `fk_dhcp6_global_parameter_type` (`parameter_type`),
  CONSTRAINT `fk_dhcp6_global_parameter_type` FOREIGN KEY (`parameter_type`) REFERENCES `parameter_data_type` (`id`)
) ENGINE=InnoDB
$$

CREATE TABLE `dhcp6_global_parameter_server` (
  `parameter_id` bigint(20) unsigned NOT NULL,
  `server_id` bigint(20) unsigned NOT NULL,
  `modification_ts` timestamp NOT NULL,
  PRIMARY KEY (`parameter_id`,`server_id`),
  KEY `fk_dhcp6_global_parameter_server_server_id` (`server_id`),
  KEY `key_dhcp6_global_parameter_server` (`modification_ts`),
  CONSTRAINT `fk_dhcp6_global_parameter_server_parameter_id` FOREIGN KEY (`parameter_id`) REFERENCES `dhcp6_global_parameter` (`id`) ON DELETE CASCADE ON UPDATE NO ACTION,
  CONSTRAINT `fk_dhcp6_global_parameter_server_server_id` FOREIGN KEY (`server_id`) REFERENCES `dhcp6_server` (`id`) ON DELETE CASCADE ON UPDATE NO ACTION
) ENGINE=InnoDB
$$

CREATE TABLE `dhcp6_options` (
  `option_id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `code` smallint(5) unsigned NOT NULL,
  `value` blob DEFAULT NULL,
  `formatted_value` text DEFAULT NULL,
  `space` varchar(128) DEFAULT NULL,
  `persistent` tinyint(1) NOT NULL DEFAULT 0,
  `dhcp_client_class` varchar(128) DEFAULT NULL,
  `dhcp6_subnet_id` int(10) unsigned DEFAULT NULL,
  `host_id` int(10) unsigned DEFAULT NULL,
  `scope_id` tinyint(3) unsigned NOT NULL,
  `user_context` text DEFAULT NULL,
  `shared_network_name` varchar(128) DEFAULT NULL,
  `pool_id` bigint(20) unsigned DEFAULT NULL,
  `pd_pool_id` bigint(20) unsigned DEFAULT NULL,
  `modification_ts` timestamp NOT NULL DEFAULT current_timestamp(),
  PRIMARY KEY (`option_id`),
  UNIQUE KEY `option_id_UNIQUE` (`option_id`),
  KEY `fk_options_host1_idx` (`host_id`),
  KEY `fk_dhcp6_option_scope` (`scope_id`),
  KEY `fk_dhcp6_options_shared_network` (`shared_network_name`),
  KEY `fk_dhcp6_options_subnet` (`dhcp6_subnet_id`),
  KEY `fk_dhcp6_options_pool` (`pool_id`),
  KEY `fk_dhcp6_options_pd_pool` (`pd_pool_id`),
  KEY `fk_dhcp6_options_client_class` (`dhcp_client_class`),
  CONSTRAINT `fk_dhcp6_option_scope` FOREIGN KEY (`scope_id`) REFERENCES `dhcp_option_scope` (`scope_id`),
  CONSTRAINT `fk_dhcp6_options_Host` FOREIGN KEY (`host_id`) REFERENCES `hosts` (`host_id`) ON DELETE CASCADE ON UPDATE CASCADE,
  CONSTRAINT `fk_dhcp6_options_client_class` FOREIGN KEY (`dhcp_client_class`) REFERENCES `dhcp6_client_class` (`name`) ON DELETE CASCADE ON UPDATE CASCADE,
  CONSTRAINT `fk_dhcp6_options_pd_pool` FOREIGN KEY (`pd_pool_id`) REFERENCES `dhcp6_pd_pool` (`id`) ON DELETE CASCADE ON UPDATE CASCADE,
  CONSTRAINT `fk_dhcp6_options_pool` FOREIGN KEY (`pool_id`) REFERENCES `dhcp6_pool` (`id`) ON DELETE CASCADE ON UPDATE CASCADE,
  CONSTRAINT `fk_dhcp6_options_shared_network` FOREIGN KEY (`shared_network_name`) REFERENCES `dhcp6_shared_network` (`name`) ON DELETE CASCADE ON UPDATE CASCADE,
  CONSTRAINT `fk_dhcp6_options_subnet` FOREIGN KEY (`dhcp6_subnet_id`) REFERENCES `dhcp6_subnet` (`subnet_id`) ON DELETE CASCADE ON UPDATE CASCADE,
  CONSTRAINT `fk_options_host10` FOREIGN KEY (`host_id`) REFERENCES `hosts` (`host_id`) ON DELETE NO ACTION ON UPDATE NO ACTION
) ENGINE=InnoDB
$$

CREATE TABLE `dhcp6_options_server` (
  `option_id` bigint(20) unsigned NOT NULL,
  `server_id` bigint(20) unsigned NOT NULL,
  `modification_ts` timestamp NOT NULL,
  PRIMARY KEY (`option_id`,`server_id`),
  KEY `fk_dhcp6_options_server_server_id_idx` (`server_id`),
  KEY `key_dhcp6_options_server_modification_ts` (`modification_ts`),
  CONSTRAINT `fk_dhcp6_options_server_option_id` FOREIGN KEY (`option_id`) REFERENCES `dhcp6_options` (`option_id`) ON DELETE CASCADE ON UPDATE NO ACTION,
  CONSTRAINT `fk_dhcp6_options_server_server_id` FOREIGN KEY (`server_id`) REFERENCES `dhcp6_server` (`id`) ON DELETE CASCADE ON UPDATE NO ACTION
) ENGINE=InnoDB
$$

CREATE TABLE `dhcp6_option_def` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `code` smallint(5) unsigned NOT NULL,
  `name` varchar(128) NOT NULL,
  `space` varchar(128) NOT NULL,
  `type` tinyint(3) unsigned NOT NULL,
  `modification_ts` timestamp NOT NULL,
  `is_array` tinyint(1) NOT NULL,
  `encapsulate` varchar(128) NOT NULL,
  `record_types` varchar(512) DEFAULT NULL,
  `user_context` longtext DEFAULT NULL,
  `class_id` bigint(20) unsigned DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `key_dhcp6_option_def_modification_ts` (`modification_ts`),
  KEY `key_dhcp6_option_def_code_space` (`code`,`space`),
  KEY `fk_dhcp6_option_def_client_class_id` (`class_id`),
  CONSTRAINT `fk_dhcp6_option_def_client_class_id` FOREIGN KEY (`class_id`) REFERENCES `dhcp6_client_class` (`id`) ON DELETE CASCADE ON UPDATE CASCADE
) ENGINE=InnoDB
$$

CREATE TABLE `dhcp6_option_def_server` (
  `option_def_id` bigint(20) unsigned NOT NULL,
  `server_id` bigint(20) unsigned NOT NULL,
  `modification_ts` timestamp NOT NULL,
  PRIMARY KEY (`option_def_id`,`server_id`),
  KEY `fk_dhcp6_option_def_server_server_id_idx` (`server_id`),
  KEY `key_dhcp6_option_def_server_modification_ts` (`modification_ts`),
  CONSTRAINT `fk_dhcp6_option_def_server_option_def_id` FOREIGN KEY (`option_def_id`) REFERENCES `dhcp6_option_def` (`id`) ON DELETE CASCADE ON UPDATE NO ACTION,
  CONSTRAINT `fk_dhcp6_option_def_server_server_id` FOREIGN KEY (`server_id`) REFERENCES `dhcp6_server` (`id`) ON DELETE CASCADE ON UPDATE NO ACTION
) ENGINE=InnoDB
$$

CREATE TABLE `dhcp6_pd_pool` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `prefix` varchar(45) NOT NULL,
  `prefix_length` tinyint(3) NOT NULL,
  `delegated_prefix_length` tinyint(3) NOT NULL,
  `subnet_id` int(10) unsigned NOT NULL,
  `modification_ts` timestamp NOT NULL,
  `excluded_prefix` varchar(45) DEFAULT NULL,
  `excluded_prefix_length` tinyint(3) NOT NULL,
  `client_class` varchar(128) DEFAULT NULL,
  `require_client_classes` longtext DEFAULT NULL,
  `user_context` longtext DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `key_dhcp6_pd_pool_modification_ts` (`modification_ts`),
  KEY `fk_dhcp6_pd_pool_subnet_id` (`subnet_id`),
  CONSTRAINT `fk_dhcp6_pd_pool_subnet_id` FOREIGN KEY (`subnet_id`) REFERENCES `dhcp6_subnet` (`subnet_id`) ON DELETE NO ACTION ON UPDATE CASCADE
) ENGINE=InnoDB
$$

CREATE TABLE `dhcp6_pool` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `start_address` varchar(45) NOT NULL,
  `end_address` varchar(45) NOT NULL,
  `subnet_id` int(10) unsigned NOT NULL,
  `modification_ts` timestamp NOT NULL,
  `client_class` varchar(128) DEFAULT NULL,
  `require_client_classes` longtext DEFAULT NULL,
  `user_context` longtext DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `key_dhcp6_pool_modification_ts` (`modification_ts`),
  KEY `fk_dhcp6_pool_subnet_id` (`subnet_id`),
  CONSTRAINT `fk_dhcp6_pool_subnet_id` FOREIGN KEY (`subnet_id`) REFERENCES `dhcp6_subnet` (`subnet_id`) ON DELETE NO ACTION ON UPDATE CASCADE
) ENGINE=InnoDB
$$

CREATE TABLE `dhcp6_server` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `tag` varchar(64) NOT NULL,
  `description` text DEFAULT NULL,
  `modification_ts` timestamp NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `dhcp6_server_tag_UNIQUE` (`tag`),
  KEY `key_dhcp6_server_modification_ts` (`modification_ts`)
) ENGINE=InnoDB
$$

CREATE TABLE `dhcp6_shared_network` (
  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `name` varchar(128) NOT NULL,
  `client_class` varchar(128) DEFAULT NULL,
  `interface` varchar(128) DEFAULT NULL,
  `modification_ts` timestamp NOT NULL,
  `preferred_lifetime` int(10) DEFAULT NULL,
  `rapid_commit` tinyint(1) DEFAULT NULL,
  `rebind_timer` int(10) DEFAULT NULL,
  `relay` longtext DEFAULT NULL,
  `renew_timer` int(10) DEFAULT NULL,
  `require_client_classes` longtext DEFAULT NULL,
  `user_context` longtext DEFAULT NULL,
  `valid_lifetime` int(10) DEFAULT NULL,
  `calculate_tee_times` tinyint(1) DEFAULT NULL,
  `t1_percent` float DEFAULT NULL,
  `t2_percent` float DEFAULT NULL,
  `interface_id` varbinary(128) DEFAULT NULL,
  `min_preferred_lifetime` int(10) DEFAULT NULL,
  `max_preferred_lifetime` int(10) DEFAULT NULL,
  `min_valid_lifetime` int(10) DEFAULT NULL,
  `max_valid_lifetime` int(10) DEFAULT NULL,
  `ddns_send_updates` tinyint(1) DEFAULT NULL,
  `ddns_override_no_update` tinyint(1) DEFAULT NULL,
  `ddns_override_client_update` tinyint(1) DEFAULT NULL,
  `ddns_replace_client_name` tinyint(3) DEFAULT NULL,
  `ddns_generated_prefix` varchar(255) DEFAULT NULL,
  `ddns_qualifying_suffix` varchar(255) DEFAULT NULL,
  `reservations_global` tinyint(1) DEFAULT NULL,
  `reservations_in_subnet` tinyint(1) DEFAULT NULL,
  `reservations_out_of_pool` tinyint(1) DEFAULT NULL,
  `cache_threshold` float DEFAULT NULL,
  `cache_max_age` int(10) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `name_UNIQUE` (`name`),
  KEY `key_dhcp6_shared_network_modification_ts` (`modification_ts`)
) ENGINE=InnoDB
$$

CREATE TABLE `dhcp6_shared_network_server` (
  `shared_network_id` bigint(20) unsigned NOT NULL,
  `server_id` bigint(20) unsigned NOT NULL,
  `modification_ts` timestamp NOT NULL,
  PRIMARY KEY (`shared_network_id`,`server_id`),
  KEY `key_dhcp6_shared_network_server_modification_ts` (`modification_ts`),
  KEY `fk_dhcp6_shared_network_server_server_id_idx` (`server_id`),
  CONSTRAINT `fk_dhcp6_shared_network_server_server_id` FOREIGN KEY (`server_id`) REFERENCES `dhcp6_server` (`id`) ON DELETE CASCADE ON UPDATE NO ACTION,
  CONSTRAINT `fk_dhcp6_shared_network_server_shared_network_id` FOREIGN KEY (`shared_network_id`) REFERENCES `dhcp6_shared_network` (`id`) ON DELETE CASCADE ON UPDATE NO ACTION
) ENGINE=InnoDB
$$

CREATE TABLE `dhcp6_subnet` (
  `subnet_id` int(10) unsigned NOT NULL,
  `subnet_prefix` varchar(64) NOT NULL,
  `client_class` varchar(128) DEFAULT NULL,
  `interface` varchar(128) DEFAULT NULL,
  `modification_ts` timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp(),
  `preferred_lifetime` int(10) DEFAULT NULL,
  `rapid_commit` tinyint(1) DEFAULT NULL,
  `rebind_timer` int(10) DEFAULT NULL,
  `relay` longtext DEFAULT NULL,
  `renew_timer` int(10) DEFAULT NULL,
  `require_client_classes` longtext DEFAULT NULL,
  `shared_network_name` varchar(128) DEFAULT NULL,
  `user_context` longtext DEFAULT NULL,
  `valid_lifetime` int(10) DEFAULT NULL,
  `calculate_tee_times` tinyint(1) DEFAULT NULL,
  `t1_percent` float DEFAULT NULL,
  `t2_percent` float DEFAULT NULL,
  `interface_id` varbinary(128) DEFAULT NULL,
  `min_preferred_lifetime` int(10) DEFAULT NULL,
  `max_preferred_lifetime` int(10) DEFAULT NULL,
  `min_valid_lifetime` int(10) DEFAULT NULL,
  `max_valid_lifetime` int(10) DEFAULT NULL,
  `ddns_send_updates` tinyint(1) DEFAULT NULL,
  `ddns_override_no_update` tinyint(1) DEFAULT NULL,
  `ddns_override_client_update` tinyint(1) DEFAULT NULL,
  `ddns_replace_client_name` tinyint(3) DEFAULT NULL,
  `ddns_generated_prefix` varchar(255) DEFAULT NULL,
  `ddns_qualifying_suffix` varchar(255) DEFAULT NULL,
  `reservations_global` tinyint(1) DEFAULT NULL,
  `reservations_in_subnet` tinyint(1) DEFAULT NULL,
  `reservations_out_of_pool` tinyint(1) DEFAULT NULL,
  `cache_threshold` float DEFAULT NULL,
  `cache_max_age` int(10) DEFAULT NULL,
  PRIMARY KEY (`subnet_id`),
  UNIQUE KEY `subnet_prefix_UNIQUE` (`subnet_prefix`),
  KEY `subnet6_subnet_prefix` (`subnet_prefix`),
  KEY `fk_dhcp6_subnet_shared_network` (`shared_network_name`),
  KEY `key_dhcp6_subnet_modification_ts` (`modification_ts`),
  CONSTRAINT `fk_dhcp6_subnet_shared_network` FOREIGN KEY (`shared_network_name`) REFERENCES `dhcp6_shared_network` (`name`) ON DELETE NO ACTION ON UPDATE NO ACTION
) ENGINE=InnoDB
$$

CREATE TABLE `dhcp6_subnet_server` (
  `subnet_id` int(10) unsigned NOT NULL,
  `server_id` bigint(20) unsigned NOT NULL,
  `modification_ts` timestamp NOT NULL,
  PRIMARY KEY (`subnet_id`,`server_id`),
  KEY `fk_dhcp6_subnet_server_server_id` (`server_id`),
  KEY `key_dhcp6_subnet_server_modification_ts` (`modification_ts`),
  CONSTRAINT `fk_dhcp6_subnet_server_server_id` FOREIGN KEY (`server_id`) REFERENCES `dhcp6_server` (`id`) ON DELETE CASCADE ON UPDATE NO ACTION,
  CONSTRAINT `fk_dhcp6_subnet_server_subnet_id` FOREIGN KEY (`subnet_id`) REFERENCES `dhcp6_subnet` (`subnet_id`) ON DELETE CASCADE ON UPDATE CASCADE
) ENGINE=InnoDB
$$

CREATE TABLE `dhcp_option_scope` (
  `scope_id` tinyint(3) unsigned NOT NULL,
  `scope_name` varchar(32) DEFAULT NULL,
  PRIMARY KEY (`scope_id`)
) ENGINE=InnoDB
$$

CREATE TABLE `hosts` (
  `host_id` int(10) unsigned NOT NULL AUTO_INCREMENT,
  `dhcp_identifier` varbinary(128) NOT NULL,
  `dhcp_identifier_type` tinyint(4) NOT NULL,
  `dhcp4_subnet_id` int(10) unsigned DEFAULT NULL,
  `dhcp6_subnet_id` int(10) unsigned DEFAULT NULL,
  `ipv4_address` int(10) unsigned DEFAULT NULL,
  `hostname` varchar(255) DEFAULT NULL,
  `dhcp4_client_classes` varchar(255) DEFAULT NULL,
  `dhcp6_client_classes` varchar(255) DEFAULT NULL,
  `dhcp4_next_server` int(10) unsigned DEFAULT NULL,
  `dhcp4_server_hostname` varchar(64) DEFAULT NULL,
  `dhcp4_boot_file_name` varchar(128) DEFAULT NULL,
  `user_context` text DEFAULT NULL,
  `auth_key` varchar(32) DEFAULT NULL,
  PRIMARY KEY (`host_id`),
  UNIQUE KEY `key_dhcp4_identifier_subnet_id` (`dhcp_identifier`,`dhcp_identifier_type`,`dhcp4_subnet_id`),
  UNIQUE KEY `key_dhcp6_identifier_subnet_id` (`dhcp_identifier`,`dhcp_identifier_type`,`dhcp6_subnet_id`),
  KEY `fk_host_identifier_type` (`dhcp_identifier_type`),
  KEY `hosts_by_hostname` (`hostname`),
  KEY `key_dhcp4_ipv4_address_subnet_id_identifier` (`ipv4_address`,`dhcp4_subnet_id`),
  CONSTRAINT `fk_host_identifier_type` FOREIGN KEY (`dhcp_identifier_type`) REFERENCES `host_identifier_type` (`type`)
) ENGINE=InnoDB
$$

CREATE TABLE `host_identifier_type` (
  `type` tinyint(4) NOT NULL,
  `name` varchar(32) DEFAULT NULL,
  PRIMARY KEY (`type`)
) ENGINE=InnoDB
$$

CREATE TABLE `ipv6_reservations` (
  `reservation_id` int(10) unsigned NOT NULL AUTO_INCREMENT,
  `address` varchar(39) NOT NULL,
  `prefix_len` tinyint(3) unsigned NOT NULL DEFAULT 128,
  `type` tinyint(4) unsigned NOT NULL DEFAULT 0,
  `dhcp6_iaid` int(10) unsigned DEFAULT NULL,
  `host_id` int(10) unsigned NOT NULL,
  PRIMARY KEY (`reservation_id`),
  KEY `fk_ipv6_reservations_host_idx` (`host_id`),
  KEY `key_dhcp6_address_prefix_len` (`address`,`prefix_len`),
  CONSTRAINT `fk_ipv6_reservations_Host` FOREIGN KEY (`host_id`) REFERENCES `hosts` (`host_id`) ON DELETE CASCADE ON UPDATE CASCADE
) ENGINE=InnoDB
$$

CREATE TABLE `lease4` (
  `address` int(10) unsigned NOT NULL,
  `hwaddr` varbinary(20) DEFAULT NULL,
  `client_id` varbinary(128) DEFAULT NULL,
  `valid_lifetime` int(10) unsigned DEFAULT NULL,
  `expire` timestamp NULL DEFAULT NULL,
  `subnet_id` int(10) unsigned DEFAULT NULL,
  `fqdn_fwd` tinyint(1) DEFAULT NULL,
  `fqdn_rev` tinyint(1) DEFAULT NULL,
  `hostname` varchar(255) DEFAULT NULL,
  `state` int(10) unsigned DEFAULT 0,
  `user_context` text DEFAULT NULL,
  PRIMARY KEY (`address`),
  KEY `lease4_by_hwaddr_subnet_id` (`hwaddr`,`subnet_id`),
  KEY `lease4_by_client_id_subnet_id` (`client_id`,`subnet_id`),
  KEY `lease4_by_subnet_id` (`subnet_id`),
  KEY `lease4_by_hostname` (`hostname`),
  KEY `lease4_by_expire_state` (`expire`,`state`),
  KEY `fk_lease4_state` (`state`),
  CONSTRAINT `fk_lease4_state` FOREIGN KEY (`state`) REFERENCES `lease_state` (`state`)
) ENGINE=InnoDB
$$

CREATE TABLE `lease4_stat` (
  `subnet_id` int(10) unsigned NOT NULL,
  `state` int(10) unsigned NOT NULL,
  `leases` bigint(20) DEFAULT NULL,
  PRIMARY KEY (`subnet_id`,`state`)
) ENGINE=InnoDB
$$

CREATE TABLE `lease4_stat_by_client_class` (
  `client_class` varchar(128) NOT NULL,
  `leases` bigint(20) unsigned NOT NULL,
  PRIMARY KEY (`client_class`)
) ENGINE=InnoDB
$$

CREATE TABLE `lease6` (
  `address` varchar(39) NOT NULL,
  `duid` varbinary(128) DEFAULT NULL,
  `valid_lifetime` int(10) unsigned DEFAULT NULL,
  `expire` timestamp NULL DEFAULT NULL,
  `subnet_id` int(10) unsigned DEFAULT NULL,
  `pref_lifetime` int(10) unsigned DEFAULT NULL,
  `lease_type` tinyint(4) DEFAULT NULL,
  `iaid` int(10) unsigned DEFAULT NULL,
  `prefix_len` tinyint(3) unsigned DEFAULT NULL,
  `fqdn_fwd` tinyint(1) DEFAULT NULL,
  `fqdn_rev` tinyint(1) DEFAULT NULL,
  `hostname` varchar(255) DEFAULT NULL,
  `hwaddr` varbinary(20) DEFAULT NULL,
  `hwtype` smallint(5) unsigned DEFAULT NULL,
  `hwaddr_source` int(10) unsigned DEFAULT NULL,
  `state` int(10) unsigned DEFAULT 0,
  `user_context` text DEFAULT NULL,
  PRIMARY KEY (`address`),
  KEY `fk_lease6_type` (`lease_type`),
  KEY `fk_lease6_hwaddr_source` (`hwaddr_source`),
  KEY `lease6_by_subnet_id_lease_type` (`subnet_id`,`lease_type`),
  KEY `lease6_by_duid_iaid_subnet_id` (`duid`,`iaid`,`subnet_id`),
  KEY `lease6_by_hostname` (`hostname`),
  KEY `lease6_by_expire_state` (`expire`,`state`),
  KEY `fk_lease6_state` (`state`),
  CONSTRAINT `fk_lease6_hwaddr_source` FOREIGN KEY (`hwaddr_source`) REFERENCES `lease_hwaddr_source` (`hwaddr_source`),
  CONSTRAINT `fk_lease6_state` FOREIGN KEY (`state`) REFERENCES `lease_state` (`state`),
  CONSTRAINT `fk_lease6_type` FOREIGN KEY (`lease_type`) REFERENCES `lease6_types` (`lease_type`)
) ENGINE=InnoDB
$$

CREATE TABLE `lease6_stat` (
  `subnet_id` int(10) unsigned NOT NULL,
  `lease_type` int(10) unsigned NOT NULL,
  `state` int(10) unsigned NOT NULL,
  `leases` bigint(20) DEFAULT NULL,
  PRIMARY KEY (`subnet_id`,`lease_type`,`state`)
) ENGINE=InnoDB
$$

CREATE TABLE `lease6_stat_by_client_class` (
  `client_class` varchar(128) NOT NULL,
  `lease_type` tinyint(4) NOT NULL,
  `leases` bigint(20) unsigned NOT NULL,
  PRIMARY KEY (`client_class`,`lease_type`),
  KEY `fk_lease6_stat_by_client_class_lease_type` (`lease_type`),
  CONSTRAINT `fk_lease6_stat_by_client_class_lease_type` FOREIGN KEY (`lease_type`) REFERENCES `lease6_types` (`lease_type`)
) ENGINE=InnoDB
$$

CREATE TABLE `lease6_types` (
  `lease_type` tinyint(4) NOT NULL,
  `name` varchar(5) DEFAULT NULL,
  PRIMARY KEY (`lease_type`)
) ENGINE=InnoDB
$$

CREATE TABLE `lease_hwaddr_source` (
  `hwaddr_source` int(10) unsigned NOT NULL,
  `name` varchar(40) DEFAULT NULL,
  PRIMARY KEY (`hwaddr_source`)
) ENGINE=InnoDB
$$

CREATE TABLE `lease_state` (
  `state` int(10) unsigned NOT NULL,
  `name` varchar(64) NOT NULL,
  PRIMARY KEY (`state`)
) ENGINE=InnoDB
$$

CREATE TABLE `logs` (
  `timestamp` timestamp NULL DEFAULT current_timestamp(),
  `address` varchar(43) DEFAULT NULL,
  `log` text NOT NULL,
  `id` int(10) unsigned NOT NULL AUTO_INCREMENT,
  PRIMARY KEY (`id`),
  KEY `timestamp_index` (`timestamp`)
) ENGINE=InnoDB
$$

CREATE TABLE `modification` (
  `id` tinyint(3) NOT NULL,
  `modification_type` varchar(32) NOT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB
$$

CREATE TABLE `parameter_data_type` (
  `id` tinyint(3) unsigned NOT NULL,
  `name` varchar(32) NOT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB
$$

CREATE TABLE `schema_version` (
  `version` int(11) NOT NULL,
  `minor` int(11) DEFAULT NULL,
  PRIMARY KEY (`version`)
) ENGINE=InnoDB
$$

SET SESSION foreign_key_checks = 1
$$
INSERT INTO `lease_state` VALUES (0,'default')
$$
INSERT INTO `lease_state` VALUES (1,'declined')
$$
INSERT INTO `lease_state` VALUES (2,'expired-reclaimed')
$$
INSERT INTO `lease6_types` VALUES (0,'IA_NA')
$$
INSERT INTO `lease6_types` VALUES (1,'IA_TA')
$$
INSERT INTO `lease6_types` VALUES (2,'IA_PD')
$$
INSERT INTO `lease_hwaddr_source` VALUES (0,'HWADDR_SOURCE_UNKNOWN')
$$
INSERT INTO `lease_hwaddr_source` VALUES (1,'HWADDR_SOURCE_RAW')
$$
INSERT INTO `lease_hwaddr_source` VALUES (2,'HWADDR_SOURCE_IPV6_LINK_LOCAL')
$$
INSERT INTO `lease_hwaddr_source` VALUES (4,'HWADDR_SOURCE_DUID')
$$
INSERT INTO `lease_hwaddr_source` VALUES (8,'HWADDR_SOURCE_CLIENT_ADDR_RELAY_OPTION')
$$
INSERT INTO `lease_hwaddr_source` VALUES (16,'HWADDR_SOURCE_REMOTE_ID')
$$
INSERT INTO `lease_hwaddr_source` VALUES (32,'HWADDR_SOURCE_SUBSCRIBER_ID')
$$
INSERT INTO `lease_hwaddr_source` VALUES (64,'HWADDR_SOURCE_DOCSIS_CMTS')
$$
INSERT INTO `lease_hwaddr_source` VALUES (128,'HWADDR_SOURCE_DOCSIS_MODEM')
$$
INSERT INTO `modification` VALUES (0,'create')
$$
INSERT INTO `modification` VALUES (1,'update')
$$
INSERT INTO `modification` VALUES (2,'delete')
$$
INSERT INTO `parameter_data_type` VALUES (0,'integer')
$$
INSERT INTO `parameter_data_type` VALUES (1,'real')
$$
INSERT INTO `parameter_data_type` VALUES (2,'boolean')
$$
INSERT INTO `parameter_data_type` VALUES (4,'string')
$$
INSERT INTO `dhcp_option_scope` VALUES (0,'global')
$$
INSERT INTO `dhcp_option_scope` VALUES (1,'subnet')
$$
INSERT INTO `dhcp_option_scope` VALUES (2,'client-class')
$$
INSERT INTO `dhcp_option_scope` VALUES (3,'host')
$$
INSERT INTO `dhcp_option_scope` VALUES (4,'shared-network')
$$
INSERT INTO `dhcp_option_scope` VALUES (5,'pool')
$$
INSERT INTO `dhcp_option_scope` VALUES (6,'pd-pool')
$$
INSERT INTO `dhcp4_server` VALUES (1,'all','special type: all servers',CURRENT_TIMESTAMP)
$$
INSERT INTO `schema_version` VALUES (14,0)
$$
INSERT INTO `host_identifier_type` VALUES (0,'hw-address')
$$
INSERT INTO `host_identifier_type` VALUES (1,'duid')
$$
INSERT INTO `host_identifier_type` VALUES (2,'circuit-id')
$$
INSERT INTO `host_identifier_type` VALUES (3,'client-id')
$$
INSERT INTO `host_identifier_type` VALUES (4,'flex-id')
$$
INSERT INTO `dhcp6_server` VALUES (1,'all','special type: all servers',CURRENT_TIMESTAMP)
$$
-- Lease counts. lease4_stat and lease6_stat count the leases of each
-- subnet (and type) in the states 0 (assigned) and 1 (declined); a count
-- never goes below zero, and a row once made stays (at zero).
CREATE FUNCTION isJsonSupported() RETURNS BOOL DETERMINISTIC
BEGIN
    DECLARE CONTINUE HANDLER FOR SQLEXCEPTION RETURN FALSE;
    RETURN JSON_VALID('{"probe": true}') = 1;
END
$$
CREATE PROCEDURE lease4_AINS_lease4_stat(IN new_state TINYINT, IN new_subnet_id INT UNSIGNED)
BEGIN
    IF new_state IN (0, 1) THEN
        INSERT INTO lease4_stat (subnet_id, state, leases) VALUES (new_subnet_id, new_state, 1)
            ON DUPLICATE KEY UPDATE leases = leases + 1;
    END IF;
END
$$
CREATE PROCEDURE lease4_ADEL_lease4_stat(IN old_state TINYINT, IN old_subnet_id INT UNSIGNED)
BEGIN
    IF old_state IN (0, 1) THEN
        UPDATE lease4_stat AS st SET st.leases = GREATEST(st.leases, 1) - 1
            WHERE st.subnet_id = old_subnet_id AND st.state = old_state;
    END IF;
END
$$
CREATE PROCEDURE lease4_AUPD_lease4_stat(IN old_state TINYINT, IN old_subnet_id INT UNSIGNED,
                                         IN new_state TINYINT, IN new_subnet_id INT UNSIGNED)
BEGIN
    -- A row that stays in its subnet and state counts as it did.
    IF NOT (old_subnet_id = new_subnet_id AND old_state = new_state) THEN
        CALL lease4_ADEL_lease4_stat(old_state, old_subnet_id);
        CALL lease4_AINS_lease4_stat(new_state, new_subnet_id);
    END IF;
END
$$
CREATE PROCEDURE lease6_AINS_lease6_stat(IN new_state TINYINT, IN new_subnet_id INT UNSIGNED,
                                         IN new_lease_type TINYINT)
BEGIN
    IF new_state IN (0, 1) THEN
        INSERT INTO lease6_stat (subnet_id, lease_type, state, leases)
            VALUES (new_subnet_id, new_lease_type, new_state, 1)
            ON DUPLICATE KEY UPDATE leases = leases + 1;
    END IF;
END
$$
CREATE PROCEDURE lease6_ADEL_lease6_stat(IN old_state TINYINT, IN old_subnet_id INT UNSIGNED,
                                         IN old_lease_type TINYINT)
BEGIN
    IF old_state IN (0, 1) THEN
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
-- Counts by client class: the classes are the array at ISC.client-classes
-- of the user context, and only assigned leases (state 0) count. Its
-- elements are taken by position up to its JSON_LENGTH, as text: a single
-- value stands for a list of itself, as in kea-admin's schema. The
-- context is parsed as JSON when the lease counts, and a text that is
-- not JSON fails the write (under the strict sql_mode the routines are
-- created in), except where kea-admin's schema lets it count in no class
-- on insert and delete: on MySQL any invalid text (error 3141), on
-- MariaDB one that ends too early (4037: an empty text among them).
CREATE PROCEDURE lease4_AINS_lease4_stat_by_client_class(IN new_state TINYINT, IN new_user_context TEXT)
BEGIN
    DECLARE classes TEXT;
    DECLARE CONTINUE HANDLER FOR 3141, 4037 SET classes = NULL;
    IF new_state = 0 THEN
        SET classes = JSON_EXTRACT(new_user_context, '$.ISC."client-classes"');
        INSERT INTO lease4_stat_by_client_class (client_class, leases)
            SELECT j.class, 1 FROM (WITH RECURSIVE pos (i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM pos WHERE i + 1 < JSON_LENGTH(classes))
                  SELECT JSON_UNQUOTE(JSON_EXTRACT(classes, CONCAT('$[', pos.i, ']'))) AS class
                    FROM pos WHERE JSON_LENGTH(classes) > 0) AS j
            ON DUPLICATE KEY UPDATE leases = leases + 1;
    END IF;
END
$$
CREATE PROCEDURE lease4_ADEL_lease4_stat_by_client_class(IN old_state TINYINT, IN old_user_context TEXT)
BEGIN
    DECLARE classes TEXT;
    DECLARE CONTINUE HANDLER FOR 3141, 4037 SET classes = NULL;
    IF old_state = 0 THEN
        SET classes = JSON_EXTRACT(old_user_context, '$.ISC."client-classes"');
        -- A class named twice is counted down twice, as it was counted up.
        UPDATE lease4_stat_by_client_class AS st
            JOIN (SELECT j.class, COUNT(*) AS n
                    FROM (WITH RECURSIVE pos (i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM pos WHERE i + 1 < JSON_LENGTH(classes))
                  SELECT JSON_UNQUOTE(JSON_EXTRACT(classes, CONCAT('$[', pos.i, ']'))) AS class
                    FROM pos WHERE JSON_LENGTH(classes) > 0) AS j GROUP BY j.class) AS gone
              ON gone.class = st.client_class
            SET st.leases = GREATEST(st.leases, gone.n) - gone.n;
    END IF;
END
$$
CREATE PROCEDURE lease4_AUPD_lease4_stat_by_client_class(IN old_state TINYINT, IN old_user_context TEXT,
                                                         IN new_state TINYINT, IN new_user_context TEXT)
BEGIN
    DECLARE before_classes TEXT;
    DECLARE after_classes TEXT;
    -- Both contexts are parsed on every update: one that is not JSON, or
    -- is empty, fails it, as in kea-admin's schema.
    SET before_classes = JSON_EXTRACT(old_user_context, '$.ISC."client-classes"');
    SET after_classes = JSON_EXTRACT(new_user_context, '$.ISC."client-classes"');
    -- Kea recounts when the state changes or when both contexts name
    -- classes and the lists differ; a list that appears or disappears in
    -- the same state is not recounted.
    IF old_state <> new_state OR before_classes <> after_classes THEN
        CALL lease4_ADEL_lease4_stat_by_client_class(old_state, old_user_context);
        CALL lease4_AINS_lease4_stat_by_client_class(new_state, new_user_context);
    END IF;
END
$$
CREATE PROCEDURE lease6_AINS_lease6_stat_by_client_class(IN new_state TINYINT, IN new_user_context TEXT,
                                                         IN new_lease_type TINYINT)
BEGIN
    DECLARE classes TEXT;
    DECLARE CONTINUE HANDLER FOR 3141, 4037 SET classes = NULL;
    IF new_state = 0 THEN
        SET classes = JSON_EXTRACT(new_user_context, '$.ISC."client-classes"');
        INSERT INTO lease6_stat_by_client_class (client_class, lease_type, leases)
            SELECT j.class, new_lease_type, 1 FROM (WITH RECURSIVE pos (i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM pos WHERE i + 1 < JSON_LENGTH(classes))
                  SELECT JSON_UNQUOTE(JSON_EXTRACT(classes, CONCAT('$[', pos.i, ']'))) AS class
                    FROM pos WHERE JSON_LENGTH(classes) > 0) AS j
            ON DUPLICATE KEY UPDATE leases = leases + 1;
    END IF;
END
$$
CREATE PROCEDURE lease6_ADEL_lease6_stat_by_client_class(IN old_state TINYINT, IN old_user_context TEXT,
                                                         IN old_lease_type TINYINT)
BEGIN
    DECLARE classes TEXT;
    DECLARE CONTINUE HANDLER FOR 3141, 4037 SET classes = NULL;
    IF old_state = 0 THEN
        SET classes = JSON_EXTRACT(old_user_context, '$.ISC."client-classes"');
        UPDATE lease6_stat_by_client_class AS st
            JOIN (SELECT j.class, COUNT(*) AS n
                    FROM (WITH RECURSIVE pos (i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM pos WHERE i + 1 < JSON_LENGTH(classes))
                  SELECT JSON_UNQUOTE(JSON_EXTRACT(classes, CONCAT('$[', pos.i, ']'))) AS class
                    FROM pos WHERE JSON_LENGTH(classes) > 0) AS j GROUP BY j.class) AS gone
              ON gone.class = st.client_class
            SET st.leases = GREATEST(st.leases, gone.n) - gone.n
            WHERE st.lease_type = old_lease_type;
    END IF;
END
$$
CREATE PROCEDURE lease6_AUPD_lease6_stat_by_client_class(IN old_state TINYINT, IN old_user_context TEXT,
                                                         IN old_lease_type TINYINT, IN new_state TINYINT,
                                                         IN new_user_context TEXT, IN new_lease_type TINYINT)
BEGIN
    DECLARE before_classes TEXT;
    DECLARE after_classes TEXT;
    SET before_classes = JSON_EXTRACT(old_user_context, '$.ISC."client-classes"');
    SET after_classes = JSON_EXTRACT(new_user_context, '$.ISC."client-classes"');
    IF old_state <> new_state OR before_classes <> after_classes OR old_lease_type <> new_lease_type THEN
        CALL lease6_ADEL_lease6_stat_by_client_class(old_state, old_user_context, old_lease_type);
        CALL lease6_AINS_lease6_stat_by_client_class(new_state, new_user_context, new_lease_type);
    END IF;
END
$$
-- The triggers. @json_supported caches, per session, whether the server
-- has JSON functions, as Kea's programs expect the variable to.
CREATE TRIGGER lease4_AINS AFTER INSERT ON lease4 FOR EACH ROW
BEGIN
    CALL lease4_AINS_lease4_stat(NEW.state, NEW.subnet_id);
    SET @json_supported = COALESCE(@json_supported, isJsonSupported());
    IF @json_supported = 1 THEN
        CALL lease4_AINS_lease4_stat_by_client_class(NEW.state, NEW.user_context);
    END IF;
END
$$
CREATE TRIGGER lease4_AUPD AFTER UPDATE ON lease4 FOR EACH ROW
BEGIN
    CALL lease4_AUPD_lease4_stat(OLD.state, OLD.subnet_id, NEW.state, NEW.subnet_id);
    SET @json_supported = COALESCE(@json_supported, isJsonSupported());
    IF @json_supported = 1 THEN
        CALL lease4_AUPD_lease4_stat_by_client_class(OLD.state, OLD.user_context, NEW.state, NEW.user_context);
    END IF;
END
$$
CREATE TRIGGER lease4_ADEL AFTER DELETE ON lease4 FOR EACH ROW
BEGIN
    CALL lease4_ADEL_lease4_stat(OLD.state, OLD.subnet_id);
    SET @json_supported = COALESCE(@json_supported, isJsonSupported());
    IF @json_supported = 1 THEN
        CALL lease4_ADEL_lease4_stat_by_client_class(OLD.state, OLD.user_context);
    END IF;
END
$$
CREATE TRIGGER lease6_AINS AFTER INSERT ON lease6 FOR EACH ROW
BEGIN
    CALL lease6_AINS_lease6_stat(NEW.state, NEW.subnet_id, NEW.lease_type);
    SET @json_supported = COALESCE(@json_supported, isJsonSupported());
    IF @json_supported = 1 THEN
        CALL lease6_AINS_lease6_stat_by_client_class(NEW.state, NEW.user_context, NEW.lease_type);
    END IF;
END
$$
CREATE TRIGGER lease6_AUPD AFTER UPDATE ON lease6 FOR EACH ROW
BEGIN
    CALL lease6_AUPD_lease6_stat(OLD.state, OLD.subnet_id, OLD.lease_type,
                                 NEW.state, NEW.subnet_id, NEW.lease_type);
    SET @json_supported = COALESCE(@json_supported, isJsonSupported());
    IF @json_supported = 1 THEN
        CALL lease6_AUPD_lease6_stat_by_client_class(OLD.state, OLD.user_context, OLD.lease_type,
                                                     NEW.state, NEW.user_context, NEW.lease_type);
    END IF;
END
$$
CREATE TRIGGER lease6_ADEL AFTER DELETE ON lease6 FOR EACH ROW
BEGIN
    CALL lease6_ADEL_lease6_stat(OLD.state, OLD.subnet_id, OLD.lease_type);
    SET @json_supported = COALESCE(@json_supported, isJsonSupported());
    IF @json_supported = 1 THEN
        CALL lease6_ADEL_lease6_stat_by_client_class(OLD.state, OLD.user_context, OLD.lease_type);
    END IF;
END
$$
-- Limits (the limits hook): the first limit a new lease would exceed, as
-- text, or '' when none is.
CREATE FUNCTION checkLease4Limits(user_context TEXT) RETURNS TEXT READS SQL DATA
BEGIN
    DECLARE verdict TEXT DEFAULT '';
    DECLARE class_limits TEXT;
    DECLARE subnet_limits TEXT;
    -- A context that is not JSON (or is empty) fails, as in kea-admin's.
    SET class_limits = JSON_EXTRACT(user_context, '$.ISC.limits."client-classes"');
    SELECT CONCAT('address limit ', c.address_limit, ' for client class "', c.class_name,
                  '", current lease count ', COALESCE(st.leases, 0))
      INTO verdict
      FROM JSON_TABLE(class_limits, '$[*]' COLUMNS (
               pos FOR ORDINALITY,
               class_name VARCHAR(255) PATH '$.name',
               address_limit INT PATH '$."address-limit"')) AS c
      LEFT JOIN lease4_stat_by_client_class AS st ON st.client_class = c.class_name
     WHERE c.address_limit IS NOT NULL AND c.address_limit <= COALESCE(st.leases, 0)
     ORDER BY c.pos LIMIT 1;
    IF verdict <> '' THEN
        RETURN verdict;
    END IF;
    SET subnet_limits = JSON_EXTRACT(user_context, '$.ISC.limits.subnet');
    SELECT CONCAT('address limit ', s.address_limit, ' for subnet ID ', s.sid,
                  ', current lease count ', COALESCE((SELECT st.leases FROM lease4_stat AS st
                      WHERE st.subnet_id = s.sid AND st.state = 0), 0))
      INTO verdict
      FROM (SELECT CAST(JSON_EXTRACT(subnet_limits, '$.id') AS INT) AS sid,
                   CAST(JSON_EXTRACT(subnet_limits, '$."address-limit"') AS INT) AS address_limit) AS s
     WHERE s.address_limit IS NOT NULL
       AND s.address_limit <= COALESCE((SELECT st.leases FROM lease4_stat AS st
                                         WHERE st.subnet_id = s.sid AND st.state = 0), 0);
    RETURN verdict;
END
$$
CREATE FUNCTION checkLease6Limits(user_context TEXT) RETURNS TEXT READS SQL DATA
BEGIN
    DECLARE verdict TEXT DEFAULT '';
    DECLARE class_limits TEXT;
    DECLARE subnet_limits TEXT;
    -- A context that is not JSON (or is empty) fails, as in kea-admin's.
    SET class_limits = JSON_EXTRACT(user_context, '$.ISC.limits."client-classes"');
    -- Of each class, its address limit is checked before its prefix limit.
    SELECT CONCAT(l.kind, ' limit ', l.lim, ' for client class "', l.class_name,
                  '", current lease count ', COALESCE(st.leases, 0))
      INTO verdict
      FROM (SELECT c.pos, 0 AS lease_type, 'address' AS kind, c.class_name, c.address_limit AS lim
              FROM JSON_TABLE(class_limits, '$[*]' COLUMNS (
                       pos FOR ORDINALITY, class_name VARCHAR(255) PATH '$.name',
                       address_limit INT PATH '$."address-limit"')) AS c
            UNION ALL
            SELECT c.pos, 2, 'prefix', c.class_name, c.prefix_limit
              FROM JSON_TABLE(class_limits, '$[*]' COLUMNS (
                       pos FOR ORDINALITY, class_name VARCHAR(255) PATH '$.name',
                       prefix_limit INT PATH '$."prefix-limit"')) AS c) AS l
      LEFT JOIN lease6_stat_by_client_class AS st
        ON st.client_class = l.class_name AND st.lease_type = l.lease_type
     WHERE l.lim IS NOT NULL AND l.lim <= COALESCE(st.leases, 0)
     ORDER BY l.pos, l.lease_type LIMIT 1;
    IF verdict <> '' THEN
        RETURN verdict;
    END IF;
    SET subnet_limits = JSON_EXTRACT(user_context, '$.ISC.limits.subnet');
    SELECT CONCAT(l.kind, ' limit ', l.lim, ' for subnet ID ', l.sid, ', current lease count ',
                  COALESCE(st.leases, 0))
      INTO verdict
      FROM (SELECT 0 AS lease_type, 'address' AS kind, CAST(JSON_EXTRACT(subnet_limits, '$.id') AS INT) AS sid,
                   CAST(JSON_EXTRACT(subnet_limits, '$."address-limit"') AS INT) AS lim
            UNION ALL
            SELECT 2, 'prefix', CAST(JSON_EXTRACT(subnet_limits, '$.id') AS INT),
                   CAST(JSON_EXTRACT(subnet_limits, '$."prefix-limit"') AS INT)) AS l
      LEFT JOIN lease6_stat AS st ON st.subnet_id = l.sid AND st.lease_type = l.lease_type AND st.state = 0
     WHERE l.lim IS NOT NULL AND l.lim <= COALESCE(st.leases, 0)
     ORDER BY l.lease_type LIMIT 1;
    RETURN verdict;
END
$$
-- kea-admin lease-dump and lease-upload: a header line, then one row a
-- lease in memfile's CSV columns (bytes as colon-separated hex, expiry as
-- Unix seconds, commas in text as &#x2c).
CREATE FUNCTION colonSeparatedHex(hex VARCHAR(64)) RETURNS VARCHAR(64) DETERMINISTIC
BEGIN
    -- An odd number of digits gets a leading zero: every byte has two.
    -- (No regular expression: MySQL's and MariaDB's write references
    -- to groups differently.)
    DECLARE digits VARCHAR(65) DEFAULT LOWER(IF(LENGTH(hex) % 2 = 1, CONCAT('0', hex), hex));
    DECLARE bytes VARCHAR(64);
    IF hex IS NULL THEN
        RETURN NULL;
    END IF;
    SET bytes = (WITH RECURSIVE byte_at (n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM byte_at WHERE 2 * (n + 1) < LENGTH(digits))
                 SELECT GROUP_CONCAT(SUBSTRING(digits, 2 * n + 1, 2) ORDER BY n SEPARATOR ':') FROM byte_at);
    RETURN bytes;
END
$$
CREATE PROCEDURE lease4DumpHeader()
SELECT 'address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context'
$$
CREATE PROCEDURE lease4DumpData()
SELECT INET_NTOA(l.address), COALESCE(colonSeparatedHex(HEX(l.hwaddr)), ''),
       COALESCE(colonSeparatedHex(HEX(l.client_id)), ''), l.valid_lifetime, UNIX_TIMESTAMP(l.expire),
       l.subnet_id, l.fqdn_fwd, l.fqdn_rev, REPLACE(l.hostname, ',', '&#x2c'), l.state,
       REPLACE(COALESCE(l.user_context, ''), ',', '&#x2c')
  FROM lease4 AS l ORDER BY l.address
$$
CREATE PROCEDURE lease6DumpHeader()
SELECT 'address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,fqdn_fwd,fqdn_rev,hostname,hwaddr,state,user_context,hwtype,hwaddr_source'
$$
CREATE PROCEDURE lease6DumpData()
SELECT l.address, COALESCE(colonSeparatedHex(HEX(l.duid)), ''), l.valid_lifetime, UNIX_TIMESTAMP(l.expire),
       l.subnet_id, l.pref_lifetime, l.lease_type, l.iaid, l.prefix_len, l.fqdn_fwd, l.fqdn_rev,
       REPLACE(l.hostname, ',', '&#x2c'), COALESCE(colonSeparatedHex(HEX(l.hwaddr)), ''), l.state,
       REPLACE(COALESCE(l.user_context, ''), ',', '&#x2c'), l.hwtype, l.hwaddr_source
  FROM lease6 AS l ORDER BY l.address
$$
CREATE PROCEDURE lease4Upload(IN address VARCHAR(15), IN hwaddr VARCHAR(20), IN client_id VARCHAR(128),
                              IN valid_lifetime INT UNSIGNED, IN expire BIGINT UNSIGNED,
                              IN subnet_id INT UNSIGNED, IN fqdn_fwd TINYINT, IN fqdn_rev TINYINT,
                              IN hostname VARCHAR(255), IN state INT UNSIGNED, IN user_context TEXT)
INSERT INTO lease4 (address, hwaddr, client_id, valid_lifetime, expire, subnet_id,
                    fqdn_fwd, fqdn_rev, hostname, state, user_context)
     VALUES (INET_ATON(address), UNHEX(REPLACE(hwaddr, ':', '')), UNHEX(REPLACE(client_id, ':', '')),
             valid_lifetime, FROM_UNIXTIME(expire), subnet_id, fqdn_fwd, fqdn_rev,
             REPLACE(hostname, '&#x2c', ','), state, REPLACE(user_context, '&#x2c', ','))
$$
CREATE PROCEDURE lease6Upload(IN address VARCHAR(39), IN duid VARCHAR(128), IN valid_lifetime INT UNSIGNED,
                              IN expire BIGINT UNSIGNED, IN subnet_id INT UNSIGNED,
                              IN pref_lifetime INT UNSIGNED, IN lease_type TINYINT, IN iaid INT UNSIGNED,
                              IN prefix_len TINYINT UNSIGNED, IN fqdn_fwd TINYINT, IN fqdn_rev TINYINT,
                              IN hostname VARCHAR(255), IN hwaddr VARCHAR(64), IN state INT UNSIGNED,
                              IN user_context TEXT, IN hwtype SMALLINT, IN hwaddr_source INT UNSIGNED)
INSERT INTO lease6 (address, duid, valid_lifetime, expire, subnet_id, pref_lifetime, lease_type, iaid,
                    prefix_len, fqdn_fwd, fqdn_rev, hostname, hwaddr, state, user_context, hwtype,
                    hwaddr_source)
     VALUES (address, UNHEX(REPLACE(duid, ':', '')), valid_lifetime, FROM_UNIXTIME(expire), subnet_id,
             pref_lifetime, lease_type, iaid, prefix_len, fqdn_fwd, fqdn_rev,
             REPLACE(hostname, '&#x2c', ','), UNHEX(REPLACE(hwaddr, ':', '')), state,
             REPLACE(user_context, '&#x2c', ','), hwtype, hwaddr_source)
$$
-- The configuration backend's audit. A change is one revision
-- (createAuditRevisionDHCP4, called by Kea's programs first, which keeps
-- its id in @audit_revision_id) and an entry per changed object, written
-- by the triggers. @disable_audit set to non-zero writes neither;
-- @cascade_transaction set by the revision keeps the option triggers from
-- writing entries for options deleted or changed along with their owner.
CREATE PROCEDURE createAuditRevisionDHCP4(IN audit_ts TIMESTAMP, IN server_tag VARCHAR(256),
                                          IN audit_log_message TEXT, IN cascade_transaction TINYINT(1))
BEGIN
    IF COALESCE(@disable_audit, 0) = 0 THEN
        INSERT INTO dhcp4_audit_revision (modification_ts, server_id, log_message)
            VALUES (audit_ts, (SELECT srv.id FROM dhcp4_server AS srv WHERE srv.tag = server_tag),
                    audit_log_message);
        SET @audit_revision_id = LAST_INSERT_ID();
        SET @cascade_transaction = cascade_transaction;
    END IF;
END
$$
CREATE PROCEDURE createAuditEntryDHCP4(IN object_type_val VARCHAR(256), IN object_id_val BIGINT UNSIGNED,
                                       IN modification_type_val VARCHAR(32))
BEGIN
    IF COALESCE(@disable_audit, 0) = 0 THEN
        INSERT INTO dhcp4_audit (object_type, object_id, modification_type, revision_id)
            SELECT object_type_val, object_id_val,
                   (SELECT m.id FROM modification AS m WHERE m.modification_type = modification_type_val),
                   @audit_revision_id;
    END IF;
END
$$
-- An option's change is audited as a change of what holds it: a global
-- option as itself, one of a subnet, shared network or pool by touching
-- that subnet or network (whose own trigger writes the entry); a host's
-- option is not audited.
CREATE PROCEDURE createOptionAuditDHCP4(IN modification_type VARCHAR(32), IN scope_id TINYINT UNSIGNED,
                                        IN option_id BIGINT UNSIGNED, IN subnet_id INT UNSIGNED,
                                        IN host_id INT UNSIGNED, IN network_name VARCHAR(128),
                                        IN pool_id BIGINT, IN modification_ts TIMESTAMP)
BEGIN
    IF COALESCE(@cascade_transaction, 0) = 0 THEN
        CASE scope_id
        WHEN 0 THEN
            CALL createAuditEntryDHCP4('dhcp4_options', option_id, modification_type);
        WHEN 1 THEN
            UPDATE dhcp4_subnet AS sn SET sn.modification_ts = modification_ts WHERE sn.subnet_id = subnet_id;
        WHEN 4 THEN
            UPDATE dhcp4_shared_network AS nw SET nw.modification_ts = modification_ts
                WHERE nw.id = (SELECT n.id FROM dhcp4_shared_network AS n WHERE n.name = network_name LIMIT 1);
        WHEN 5 THEN
            UPDATE dhcp4_subnet AS sn SET sn.modification_ts = modification_ts
                WHERE sn.subnet_id = (SELECT p.subnet_id FROM dhcp4_pool AS p WHERE p.id = pool_id);
        ELSE
            BEGIN END;
        END CASE;
    END IF;
END
$$
-- Client class order. Every class has a place in dhcp4_client_class_order:
-- after the class it follows (follow_class_name), else last. A class may
-- depend only on classes before it, and on classes of its own servers.
CREATE PROCEDURE setClientClass4Order(IN id BIGINT UNSIGNED, IN follow_class_name VARCHAR(128),
                                      IN old_follow_class_name VARCHAR(128))
placing: BEGIN
    DECLARE place BIGINT UNSIGNED;
    DECLARE problem TEXT;
    -- The class's flag before this change, which
    -- checkDHCPv4ClientClassKnownDependencyChange compares with.
    SET @depend_on_known_indirectly = (SELECT o.depend_on_known_indirectly
                                         FROM dhcp4_client_class_order AS o WHERE o.class_id = id);
    IF @depend_on_known_indirectly IS NOT NULL AND follow_class_name <=> old_follow_class_name THEN
        -- It keeps its place; its indirect dependency on KNOWN is found
        -- again as its dependencies are inserted again.
        UPDATE dhcp4_client_class_order AS o SET o.depend_on_known_indirectly = 0 WHERE o.class_id = id;
        LEAVE placing;
    END IF;
    IF follow_class_name IS NULL THEN
        SET place = COALESCE((SELECT MAX(o.order_index) FROM dhcp4_client_class_order AS o), 0) + 1;
    ELSE
        SET place = (SELECT o.order_index + 1 FROM dhcp4_client_class AS c
                       JOIN dhcp4_client_class_order AS o ON o.class_id = c.id
                      WHERE c.name = follow_class_name);
        IF place IS NULL THEN
            SET problem = CONCAT('Class ', follow_class_name, ' does not exist.');
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = problem;
        END IF;
        -- Make room: the classes from that place on move one down.
        UPDATE dhcp4_client_class_order AS o SET o.order_index = o.order_index + 1
            WHERE o.order_index >= place ORDER BY o.order_index DESC;
    END IF;
    IF EXISTS (SELECT 1 FROM dhcp4_client_class_dependency AS d
                 JOIN dhcp4_client_class_order AS o ON o.class_id = d.class_id
                WHERE d.dependency_id = id AND o.order_index < place) THEN
        SET problem = CONCAT('Unable to move class with id ', id, ' because it would break its dependencies');
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = problem;
    END IF;
    REPLACE INTO dhcp4_client_class_order (class_id, order_index, depend_on_known_indirectly)
        VALUES (id, place, 0);
END
$$
CREATE PROCEDURE checkDHCPv4ClientClassDependency(IN class_id BIGINT UNSIGNED, IN dependency_id BIGINT UNSIGNED)
BEGIN
    DECLARE class_place BIGINT UNSIGNED;
    DECLARE dependency_place BIGINT UNSIGNED;
    DECLARE problem TEXT;
    IF class_id IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'Client class id must not be NULL.';
    END IF;
    IF dependency_id IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'Class dependency id must not be NULL.';
    END IF;
    IF class_id = dependency_id THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'Client class must not have dependency on self.';
    END IF;
    SET class_place = (SELECT o.order_index FROM dhcp4_client_class_order AS o
                         JOIN dhcp4_client_class AS c ON c.id = o.class_id WHERE c.id = class_id);
    IF class_place IS NULL THEN
        SET problem = CONCAT('Client class with id ', class_id, ' does not exist.');
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = problem;
    END IF;
    SET dependency_place = (SELECT o.order_index FROM dhcp4_client_class_order AS o
                              JOIN dhcp4_client_class AS c ON c.id = o.class_id WHERE c.id = dependency_id);
    IF dependency_place IS NULL THEN
        SET problem = CONCAT('Client class with id ', dependency_id, ' does not exist.');
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = problem;
    END IF;
    IF dependency_place > class_place THEN
        SET problem = CONCAT('Client class with id ', class_id,
                             ' must not depend on class defined later with id ', dependency_id);
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = problem;
    END IF;
    -- Every server of the class must have the dependency too (or the
    -- dependency is for all servers, server 1).
    IF EXISTS (SELECT 1 FROM dhcp4_client_class_server AS mine
                WHERE mine.class_id = class_id
                  AND NOT EXISTS (SELECT 1 FROM dhcp4_client_class_server AS theirs
                                   WHERE theirs.class_id = dependency_id
                                     AND theirs.server_id IN (1, mine.server_id))) THEN
        SET problem = CONCAT('Unmet dependencies for client class with id ', class_id);
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = problem;
    END IF;
END
$$
-- A class depends on KNOWN (or UNKNOWN) indirectly when a class it depends
-- on does, directly or indirectly.
CREATE PROCEDURE updateDHCPv4ClientClassKnownDependency(IN client_class_id BIGINT UNSIGNED,
                                                        IN dependency_id BIGINT UNSIGNED)
BEGIN
    DECLARE inherited TINYINT DEFAULT (SELECT c.depend_on_known_directly FROM dhcp4_client_class AS c
                                        WHERE c.id = dependency_id);
    IF inherited = 0 THEN
        SET inherited = (SELECT o.depend_on_known_indirectly FROM dhcp4_client_class_order AS o
                          WHERE o.class_id = dependency_id);
    END IF;
    IF inherited <> 0 THEN
        UPDATE dhcp4_client_class_order AS o SET o.depend_on_known_indirectly = 1
            WHERE o.class_id = client_class_id;
    END IF;
END
$$
-- Called after a class was updated (its trigger left @client_class_id and
-- the flags before the change): a class others depend on must not start
-- or stop depending on KNOWN, as that would change theirs.
CREATE PROCEDURE checkDHCPv4ClientClassKnownDependencyChange()
BEGIN
    DECLARE was TINYINT DEFAULT 0;
    DECLARE now_depends TINYINT;
    IF @client_class_id IS NOT NULL
       AND EXISTS (SELECT 1 FROM dhcp4_client_class_dependency AS d WHERE d.dependency_id = @client_class_id) THEN
        IF @depend_on_known_directly <> 0 OR @depend_on_known_indirectly <> 0 THEN
            SET was = 1;
        END IF;
        SET now_depends = (SELECT c.depend_on_known_directly FROM dhcp4_client_class AS c
                            WHERE c.id = @client_class_id);
        IF now_depends = 0 THEN
            SET now_depends = (SELECT o.depend_on_known_indirectly FROM dhcp4_client_class_order AS o
                                WHERE o.class_id = @client_class_id);
        END IF;
        IF was <> now_depends THEN
            SIGNAL SQLSTATE '45000'
                SET MESSAGE_TEXT = 'Class dependency on KNOWN/UNKNOWN built-in classes must not change.';
        END IF;
    END IF;
END
$$
CREATE TRIGGER dhcp4_client_class_AINS AFTER INSERT ON dhcp4_client_class FOR EACH ROW
BEGIN
    CALL setClientClass4Order(NEW.id, NEW.follow_class_name, NULL);
    CALL createAuditEntryDHCP4('dhcp4_client_class', NEW.id, 'create');
END
$$
CREATE TRIGGER dhcp4_client_class_AUPD AFTER UPDATE ON dhcp4_client_class FOR EACH ROW
BEGIN
    SET @client_class_id = NEW.id;
    SET @depend_on_known_directly = OLD.depend_on_known_directly;
    CALL setClientClass4Order(NEW.id, NEW.follow_class_name, OLD.follow_class_name);
    CALL createAuditEntryDHCP4('dhcp4_client_class', NEW.id, 'update');
END
$$
CREATE TRIGGER dhcp4_client_class_ADEL AFTER DELETE ON dhcp4_client_class FOR EACH ROW
CALL createAuditEntryDHCP4('dhcp4_client_class', OLD.id, 'delete')
$$
CREATE TRIGGER dhcp4_client_class_check_dependency_BINS BEFORE INSERT ON dhcp4_client_class_dependency FOR EACH ROW
CALL checkDHCPv4ClientClassDependency(NEW.class_id, NEW.dependency_id)
$$
CREATE TRIGGER dhcp4_client_class_dependency_AINS AFTER INSERT ON dhcp4_client_class_dependency FOR EACH ROW
CALL updateDHCPv4ClientClassKnownDependency(NEW.class_id, NEW.dependency_id)
$$
CREATE TRIGGER dhcp4_global_parameter_AINS AFTER INSERT ON dhcp4_global_parameter FOR EACH ROW
CALL createAuditEntryDHCP4('dhcp4_global_parameter', NEW.id, 'create')
$$
CREATE TRIGGER dhcp4_global_parameter_AUPD AFTER UPDATE ON dhcp4_global_parameter FOR EACH ROW
CALL createAuditEntryDHCP4('dhcp4_global_parameter', NEW.id, 'update')
$$
CREATE TRIGGER dhcp4_global_parameter_ADEL AFTER DELETE ON dhcp4_global_parameter FOR EACH ROW
CALL createAuditEntryDHCP4('dhcp4_global_parameter', OLD.id, 'delete')
$$
CREATE TRIGGER dhcp4_option_def_AINS AFTER INSERT ON dhcp4_option_def FOR EACH ROW
CALL createAuditEntryDHCP4('dhcp4_option_def', NEW.id, 'create')
$$
CREATE TRIGGER dhcp4_option_def_AUPD AFTER UPDATE ON dhcp4_option_def FOR EACH ROW
CALL createAuditEntryDHCP4('dhcp4_option_def', NEW.id, 'update')
$$
CREATE TRIGGER dhcp4_option_def_ADEL AFTER DELETE ON dhcp4_option_def FOR EACH ROW
CALL createAuditEntryDHCP4('dhcp4_option_def', OLD.id, 'delete')
$$
CREATE TRIGGER dhcp4_server_AINS AFTER INSERT ON dhcp4_server FOR EACH ROW
CALL createAuditEntryDHCP4('dhcp4_server', NEW.id, 'create')
$$
CREATE TRIGGER dhcp4_server_AUPD AFTER UPDATE ON dhcp4_server FOR EACH ROW
CALL createAuditEntryDHCP4('dhcp4_server', NEW.id, 'update')
$$
CREATE TRIGGER dhcp4_server_ADEL AFTER DELETE ON dhcp4_server FOR EACH ROW
CALL createAuditEntryDHCP4('dhcp4_server', OLD.id, 'delete')
$$
CREATE TRIGGER dhcp4_shared_network_AINS AFTER INSERT ON dhcp4_shared_network FOR EACH ROW
CALL createAuditEntryDHCP4('dhcp4_shared_network', NEW.id, 'create')
$$
CREATE TRIGGER dhcp4_shared_network_AUPD AFTER UPDATE ON dhcp4_shared_network FOR EACH ROW
CALL createAuditEntryDHCP4('dhcp4_shared_network', NEW.id, 'update')
$$
-- A network's subnets leave it, and its options go, when it is deleted.
CREATE TRIGGER dhcp4_shared_network_BDEL BEFORE DELETE ON dhcp4_shared_network FOR EACH ROW
BEGIN
    CALL createAuditEntryDHCP4('dhcp4_shared_network', OLD.id, 'delete');
    UPDATE dhcp4_subnet AS sn SET sn.shared_network_name = NULL WHERE sn.shared_network_name = OLD.name;
    DELETE FROM dhcp4_options WHERE shared_network_name = OLD.name;
END
$$
CREATE TRIGGER dhcp4_subnet_AINS AFTER INSERT ON dhcp4_subnet FOR EACH ROW
CALL createAuditEntryDHCP4('dhcp4_subnet', NEW.subnet_id, 'create')
$$
CREATE TRIGGER dhcp4_subnet_AUPD AFTER UPDATE ON dhcp4_subnet FOR EACH ROW
CALL createAuditEntryDHCP4('dhcp4_subnet', NEW.subnet_id, 'update')
$$
-- A subnet's pools and options go with it.
CREATE TRIGGER dhcp4_subnet_BDEL BEFORE DELETE ON dhcp4_subnet FOR EACH ROW
BEGIN
    CALL createAuditEntryDHCP4('dhcp4_subnet', OLD.subnet_id, 'delete');
    DELETE FROM dhcp4_pool WHERE subnet_id = OLD.subnet_id;
    DELETE FROM dhcp4_options WHERE dhcp4_subnet_id = OLD.subnet_id;
END
$$
CREATE TRIGGER dhcp4_pool_BDEL BEFORE DELETE ON dhcp4_pool FOR EACH ROW
DELETE FROM dhcp4_options WHERE scope_id = 5 AND pool_id = OLD.id
$$
CREATE TRIGGER dhcp4_options_AINS AFTER INSERT ON dhcp4_options FOR EACH ROW
CALL createOptionAuditDHCP4('create', NEW.scope_id, NEW.option_id, NEW.dhcp4_subnet_id, NEW.host_id,
                            NEW.shared_network_name, NEW.pool_id, NEW.modification_ts)
$$
CREATE TRIGGER dhcp4_options_AUPD AFTER UPDATE ON dhcp4_options FOR EACH ROW
CALL createOptionAuditDHCP4('update', NEW.scope_id, NEW.option_id, NEW.dhcp4_subnet_id, NEW.host_id,
                            NEW.shared_network_name, NEW.pool_id, NEW.modification_ts)
$$
-- A deleted option has no new time: the deletion's is now.
CREATE TRIGGER dhcp4_options_ADEL AFTER DELETE ON dhcp4_options FOR EACH ROW
CALL createOptionAuditDHCP4('delete', OLD.scope_id, OLD.option_id, OLD.dhcp4_subnet_id, OLD.host_id,
                            OLD.shared_network_name, OLD.pool_id, NOW())
$$
-- DHCPv6's configuration backend: DHCPv4's on the dhcp6 tables, and its
-- options of prefix delegation pools after it.
-- The configuration backend's audit. A change is one revision
-- (createAuditRevisionDHCP6, called by Kea's programs first, which keeps
-- its id in @audit_revision_id) and an entry per changed object, written
-- by the triggers. @disable_audit set to non-zero writes neither;
-- @cascade_transaction set by the revision keeps the option triggers from
-- writing entries for options deleted or changed along with their owner.
CREATE PROCEDURE createAuditRevisionDHCP6(IN audit_ts TIMESTAMP, IN server_tag VARCHAR(256),
                                          IN audit_log_message TEXT, IN cascade_transaction TINYINT(1))
BEGIN
    IF COALESCE(@disable_audit, 0) = 0 THEN
        INSERT INTO dhcp6_audit_revision (modification_ts, server_id, log_message)
            VALUES (audit_ts, (SELECT srv.id FROM dhcp6_server AS srv WHERE srv.tag = server_tag),
                    audit_log_message);
        SET @audit_revision_id = LAST_INSERT_ID();
        SET @cascade_transaction = cascade_transaction;
    END IF;
END
$$
CREATE PROCEDURE createAuditEntryDHCP6(IN object_type_val VARCHAR(256), IN object_id_val BIGINT UNSIGNED,
                                       IN modification_type_val VARCHAR(32))
BEGIN
    IF COALESCE(@disable_audit, 0) = 0 THEN
        INSERT INTO dhcp6_audit (object_type, object_id, modification_type, revision_id)
            SELECT object_type_val, object_id_val,
                   (SELECT m.id FROM modification AS m WHERE m.modification_type = modification_type_val),
                   @audit_revision_id;
    END IF;
END
$$
CREATE PROCEDURE setClientClass6Order(IN id BIGINT UNSIGNED, IN follow_class_name VARCHAR(128),
                                      IN old_follow_class_name VARCHAR(128))
placing: BEGIN
    DECLARE place BIGINT UNSIGNED;
    DECLARE problem TEXT;
    -- The class's flag before this change, which
    -- checkDHCPv6ClientClassKnownDependencyChange compares with.
    SET @depend_on_known_indirectly = (SELECT o.depend_on_known_indirectly
                                         FROM dhcp6_client_class_order AS o WHERE o.class_id = id);
    IF @depend_on_known_indirectly IS NOT NULL AND follow_class_name <=> old_follow_class_name THEN
        -- It keeps its place; its indirect dependency on KNOWN is found
        -- again as its dependencies are inserted again.
        UPDATE dhcp6_client_class_order AS o SET o.depend_on_known_indirectly = 0 WHERE o.class_id = id;
        LEAVE placing;
    END IF;
    IF follow_class_name IS NULL THEN
        SET place = COALESCE((SELECT MAX(o.order_index) FROM dhcp6_client_class_order AS o), 0) + 1;
    ELSE
        SET place = (SELECT o.order_index + 1 FROM dhcp6_client_class AS c
                       JOIN dhcp6_client_class_order AS o ON o.class_id = c.id
                      WHERE c.name = follow_class_name);
        IF place IS NULL THEN
            SET problem = CONCAT('Class ', follow_class_name, ' does not exist.');
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = problem;
        END IF;
        -- Make room: the classes from that place on move one down.
        UPDATE dhcp6_client_class_order AS o SET o.order_index = o.order_index + 1
            WHERE o.order_index >= place ORDER BY o.order_index DESC;
    END IF;
    IF EXISTS (SELECT 1 FROM dhcp6_client_class_dependency AS d
                 JOIN dhcp6_client_class_order AS o ON o.class_id = d.class_id
                WHERE d.dependency_id = id AND o.order_index < place) THEN
        SET problem = CONCAT('Unable to move class with id ', id, ' because it would break its dependencies');
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = problem;
    END IF;
    REPLACE INTO dhcp6_client_class_order (class_id, order_index, depend_on_known_indirectly)
        VALUES (id, place, 0);
END
$$
CREATE PROCEDURE checkDHCPv6ClientClassDependency(IN class_id BIGINT UNSIGNED, IN dependency_id BIGINT UNSIGNED)
BEGIN
    DECLARE class_place BIGINT UNSIGNED;
    DECLARE dependency_place BIGINT UNSIGNED;
    DECLARE problem TEXT;
    IF class_id IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'Client class id must not be NULL.';
    END IF;
    IF dependency_id IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'Class dependency id must not be NULL.';
    END IF;
    IF class_id = dependency_id THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'Client class must not have dependency on self.';
    END IF;
    SET class_place = (SELECT o.order_index FROM dhcp6_client_class_order AS o
                         JOIN dhcp6_client_class AS c ON c.id = o.class_id WHERE c.id = class_id);
    IF class_place IS NULL THEN
        SET problem = CONCAT('Client class with id ', class_id, ' does not exist.');
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = problem;
    END IF;
    SET dependency_place = (SELECT o.order_index FROM dhcp6_client_class_order AS o
                              JOIN dhcp6_client_class AS c ON c.id = o.class_id WHERE c.id = dependency_id);
    IF dependency_place IS NULL THEN
        SET problem = CONCAT('Client class with id ', dependency_id, ' does not exist.');
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = problem;
    END IF;
    IF dependency_place > class_place THEN
        SET problem = CONCAT('Client class with id ', class_id,
                             ' must not depend on class defined later with id ', dependency_id);
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = problem;
    END IF;
    -- Every server of the class must have the dependency too (or the
    -- dependency is for all servers, server 1).
    IF EXISTS (SELECT 1 FROM dhcp6_client_class_server AS mine
                WHERE mine.class_id = class_id
                  AND NOT EXISTS (SELECT 1 FROM dhcp6_client_class_server AS theirs
                                   WHERE theirs.class_id = dependency_id
                                     AND theirs.server_id IN (1, mine.server_id))) THEN
        SET problem = CONCAT('Unmet dependencies for client class with id ', class_id);
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = problem;
    END IF;
END
$$
-- A class depends on KNOWN (or UNKNOWN) indirectly when a class it depends
-- on does, directly or indirectly.
CREATE PROCEDURE updateDHCPv6ClientClassKnownDependency(IN client_class_id BIGINT UNSIGNED,
                                                        IN dependency_id BIGINT UNSIGNED)
BEGIN
    DECLARE inherited TINYINT DEFAULT (SELECT c.depend_on_known_directly FROM dhcp6_client_class AS c
                                        WHERE c.id = dependency_id);
    IF inherited = 0 THEN
        SET inherited = (SELECT o.depend_on_known_indirectly FROM dhcp6_client_class_order AS o
                          WHERE o.class_id = dependency_id);
    END IF;
    IF inherited <> 0 THEN
        UPDATE dhcp6_client_class_order AS o SET o.depend_on_known_indirectly = 1
            WHERE o.class_id = client_class_id;
    END IF;
END
$$
-- Called after a class was updated (its trigger left @client_class_id and
-- the flags before the change): a class others depend on must not start
-- or stop depending on KNOWN, as that would change theirs.
CREATE PROCEDURE checkDHCPv6ClientClassKnownDependencyChange()
BEGIN
    DECLARE was TINYINT DEFAULT 0;
    DECLARE now_depends TINYINT;
    IF @client_class_id IS NOT NULL
       AND EXISTS (SELECT 1 FROM dhcp6_client_class_dependency AS d WHERE d.dependency_id = @client_class_id) THEN
        IF @depend_on_known_directly <> 0 OR @depend_on_known_indirectly <> 0 THEN
            SET was = 1;
        END IF;
        SET now_depends = (SELECT c.depend_on_known_directly FROM dhcp6_client_class AS c
                            WHERE c.id = @client_class_id);
        IF now_depends = 0 THEN
            SET now_depends = (SELECT o.depend_on_known_indirectly FROM dhcp6_client_class_order AS o
                                WHERE o.class_id = @client_class_id);
        END IF;
        IF was <> now_depends THEN
            SIGNAL SQLSTATE '45000'
                SET MESSAGE_TEXT = 'Class dependency on KNOWN/UNKNOWN built-in classes must not change.';
        END IF;
    END IF;
END
$$
CREATE TRIGGER dhcp6_client_class_AINS AFTER INSERT ON dhcp6_client_class FOR EACH ROW
BEGIN
    CALL setClientClass6Order(NEW.id, NEW.follow_class_name, NULL);
    CALL createAuditEntryDHCP6('dhcp6_client_class', NEW.id, 'create');
END
$$
CREATE TRIGGER dhcp6_client_class_AUPD AFTER UPDATE ON dhcp6_client_class FOR EACH ROW
BEGIN
    SET @client_class_id = NEW.id;
    SET @depend_on_known_directly = OLD.depend_on_known_directly;
    CALL setClientClass6Order(NEW.id, NEW.follow_class_name, OLD.follow_class_name);
    CALL createAuditEntryDHCP6('dhcp6_client_class', NEW.id, 'update');
END
$$
CREATE TRIGGER dhcp6_client_class_ADEL AFTER DELETE ON dhcp6_client_class FOR EACH ROW
CALL createAuditEntryDHCP6('dhcp6_client_class', OLD.id, 'delete')
$$
CREATE TRIGGER dhcp6_client_class_check_dependency_BINS BEFORE INSERT ON dhcp6_client_class_dependency FOR EACH ROW
CALL checkDHCPv6ClientClassDependency(NEW.class_id, NEW.dependency_id)
$$
CREATE TRIGGER dhcp6_client_class_dependency_AINS AFTER INSERT ON dhcp6_client_class_dependency FOR EACH ROW
CALL updateDHCPv6ClientClassKnownDependency(NEW.class_id, NEW.dependency_id)
$$
CREATE TRIGGER dhcp6_global_parameter_AINS AFTER INSERT ON dhcp6_global_parameter FOR EACH ROW
CALL createAuditEntryDHCP6('dhcp6_global_parameter', NEW.id, 'create')
$$
CREATE TRIGGER dhcp6_global_parameter_AUPD AFTER UPDATE ON dhcp6_global_parameter FOR EACH ROW
CALL createAuditEntryDHCP6('dhcp6_global_parameter', NEW.id, 'update')
$$
CREATE TRIGGER dhcp6_global_parameter_ADEL AFTER DELETE ON dhcp6_global_parameter FOR EACH ROW
CALL createAuditEntryDHCP6('dhcp6_global_parameter', OLD.id, 'delete')
$$
CREATE TRIGGER dhcp6_option_def_AINS AFTER INSERT ON dhcp6_option_def FOR EACH ROW
CALL createAuditEntryDHCP6('dhcp6_option_def', NEW.id, 'create')
$$
CREATE TRIGGER dhcp6_option_def_AUPD AFTER UPDATE ON dhcp6_option_def FOR EACH ROW
CALL createAuditEntryDHCP6('dhcp6_option_def', NEW.id, 'update')
$$
CREATE TRIGGER dhcp6_option_def_ADEL AFTER DELETE ON dhcp6_option_def FOR EACH ROW
CALL createAuditEntryDHCP6('dhcp6_option_def', OLD.id, 'delete')
$$
CREATE TRIGGER dhcp6_server_AINS AFTER INSERT ON dhcp6_server FOR EACH ROW
CALL createAuditEntryDHCP6('dhcp6_server', NEW.id, 'create')
$$
CREATE TRIGGER dhcp6_server_AUPD AFTER UPDATE ON dhcp6_server FOR EACH ROW
CALL createAuditEntryDHCP6('dhcp6_server', NEW.id, 'update')
$$
CREATE TRIGGER dhcp6_server_ADEL AFTER DELETE ON dhcp6_server FOR EACH ROW
CALL createAuditEntryDHCP6('dhcp6_server', OLD.id, 'delete')
$$
CREATE TRIGGER dhcp6_shared_network_AINS AFTER INSERT ON dhcp6_shared_network FOR EACH ROW
CALL createAuditEntryDHCP6('dhcp6_shared_network', NEW.id, 'create')
$$
CREATE TRIGGER dhcp6_shared_network_AUPD AFTER UPDATE ON dhcp6_shared_network FOR EACH ROW
CALL createAuditEntryDHCP6('dhcp6_shared_network', NEW.id, 'update')
$$
-- A network's subnets leave it, and its options go, when it is deleted.
CREATE TRIGGER dhcp6_shared_network_BDEL BEFORE DELETE ON dhcp6_shared_network FOR EACH ROW
BEGIN
    CALL createAuditEntryDHCP6('dhcp6_shared_network', OLD.id, 'delete');
    UPDATE dhcp6_subnet AS sn SET sn.shared_network_name = NULL WHERE sn.shared_network_name = OLD.name;
    DELETE FROM dhcp6_options WHERE shared_network_name = OLD.name;
END
$$
CREATE TRIGGER dhcp6_subnet_AINS AFTER INSERT ON dhcp6_subnet FOR EACH ROW
CALL createAuditEntryDHCP6('dhcp6_subnet', NEW.subnet_id, 'create')
$$
CREATE TRIGGER dhcp6_subnet_AUPD AFTER UPDATE ON dhcp6_subnet FOR EACH ROW
CALL createAuditEntryDHCP6('dhcp6_subnet', NEW.subnet_id, 'update')
$$
-- An option's change is audited as a change of what holds it, as for
-- DHCPv4, and a prefix delegation pool's option touches its subnet too.
CREATE PROCEDURE createOptionAuditDHCP6(IN modification_type VARCHAR(32), IN scope_id TINYINT UNSIGNED,
                                        IN option_id BIGINT UNSIGNED, IN subnet_id INT UNSIGNED,
                                        IN host_id INT UNSIGNED, IN network_name VARCHAR(128),
                                        IN pool_id BIGINT, IN pd_pool_id BIGINT, IN modification_ts TIMESTAMP)
BEGIN
    IF COALESCE(@cascade_transaction, 0) = 0 THEN
        CASE scope_id
        WHEN 0 THEN
            CALL createAuditEntryDHCP6('dhcp6_options', option_id, modification_type);
        WHEN 1 THEN
            UPDATE dhcp6_subnet AS sn SET sn.modification_ts = modification_ts WHERE sn.subnet_id = subnet_id;
        WHEN 4 THEN
            UPDATE dhcp6_shared_network AS nw SET nw.modification_ts = modification_ts
                WHERE nw.id = (SELECT n.id FROM dhcp6_shared_network AS n WHERE n.name = network_name LIMIT 1);
        WHEN 5 THEN
            UPDATE dhcp6_subnet AS sn SET sn.modification_ts = modification_ts
                WHERE sn.subnet_id = (SELECT p.subnet_id FROM dhcp6_pool AS p WHERE p.id = pool_id);
        WHEN 6 THEN
            UPDATE dhcp6_subnet AS sn SET sn.modification_ts = modification_ts
                WHERE sn.subnet_id = (SELECT p.subnet_id FROM dhcp6_pd_pool AS p WHERE p.id = pd_pool_id);
        ELSE
            BEGIN END;
        END CASE;
    END IF;
END
$$
CREATE TRIGGER dhcp6_subnet_BDEL BEFORE DELETE ON dhcp6_subnet FOR EACH ROW
BEGIN
    CALL createAuditEntryDHCP6('dhcp6_subnet', OLD.subnet_id, 'delete');
    DELETE FROM dhcp6_pool WHERE subnet_id = OLD.subnet_id;
    DELETE FROM dhcp6_pd_pool WHERE subnet_id = OLD.subnet_id;
    DELETE FROM dhcp6_options WHERE dhcp6_subnet_id = OLD.subnet_id;
END
$$
CREATE TRIGGER dhcp6_pool_BDEL BEFORE DELETE ON dhcp6_pool FOR EACH ROW
DELETE FROM dhcp6_options WHERE scope_id = 5 AND pool_id = OLD.id
$$
CREATE TRIGGER dhcp6_pd_pool_BDEL BEFORE DELETE ON dhcp6_pd_pool FOR EACH ROW
DELETE FROM dhcp6_options WHERE scope_id = 6 AND pd_pool_id = OLD.id
$$
CREATE TRIGGER dhcp6_options_AINS AFTER INSERT ON dhcp6_options FOR EACH ROW
CALL createOptionAuditDHCP6('create', NEW.scope_id, NEW.option_id, NEW.dhcp6_subnet_id, NEW.host_id,
                            NEW.shared_network_name, NEW.pool_id, NEW.pd_pool_id, NEW.modification_ts)
$$
CREATE TRIGGER dhcp6_options_AUPD AFTER UPDATE ON dhcp6_options FOR EACH ROW
CALL createOptionAuditDHCP6('update', NEW.scope_id, NEW.option_id, NEW.dhcp6_subnet_id, NEW.host_id,
                            NEW.shared_network_name, NEW.pool_id, NEW.pd_pool_id, NEW.modification_ts)
$$
CREATE TRIGGER dhcp6_options_ADEL AFTER DELETE ON dhcp6_options FOR EACH ROW
CALL createOptionAuditDHCP6('delete', OLD.scope_id, OLD.option_id, OLD.dhcp6_subnet_id, OLD.host_id,
                            OLD.shared_network_name, OLD.pool_id, OLD.pd_pool_id, NOW())
$$
