//! The directives keepalived 2.2 knows, per context, and what we do with each.

/// What we do with a directive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// Implemented.
    Supported,
    /// keepalived knows it but it is not about VRRP (LVS, checkers, e-mail, SNMP, BFD):
    /// skipped with a warning.
    NotVrrp,
    /// A keepalived VRRP directive we do not implement (yet): skipped with a warning.
    Unsupported,
}

/// Top level: supported blocks.
pub(crate) const TOP_SUPPORTED: &[&str] = &[
    "global_defs",
    "vrrp_instance",
    "vrrp_script",
    "vrrp_sync_group",
    "garp_group",
    "static_ipaddress",
    "static_routes",
    "static_rules",
    "track_group",
    "include",
];

/// Top level: keepalived's LVS / checker / BFD blocks.
pub(crate) const TOP_NOT_VRRP: &[&str] = &[
    "virtual_server",
    "virtual_server_group",
    "real_server",
    "SSL",
    "bfd_instance",
];

/// Top level: keepalived's VRRP-process blocks we do not implement.
pub(crate) const TOP_UNSUPPORTED: &[&str] = &[
    "vrrp_track_process",
    "linkbeat_interfaces",
    "interface_up_down_delays",
    "net_namespace",
    "net_namespace_ipvs",
    "namespace_with_ipsets",
    "use_pid_dir",
    "instance",
    "child_wait_time",
    "linkbeat_use_polling",
];

/// `global_defs`: what we implement.
pub(crate) const GLOBAL_SUPPORTED: &[&str] = &[
    "router_id",
    "vrrp_version",
    "script_user",
    "enable_script_security",
    "vrrp_garp_master_delay",
    "vrrp_garp_master_repeat",
    "vrrp_garp_master_refresh",
    "vrrp_garp_interval",
    "vrrp_gna_interval",
    "vrrp_adverts_through_ip_stack",
    "vrrp_check_unicast_src",
    "vrrp_skip_check_adv_addr",
    "vrrp_strict",
    "vrrp_v3_checksum",
    "v3_checksum_as_v2",
    "vrrp_startup_delay",
    "vrrp_delay_after_boot",
    "vrrp_startup_spread",
    "notify_fifo",
    "vrrp_notify_fifo",
];

/// `global_defs`: every other directive keepalived 2.2 knows.
pub(crate) const GLOBAL_KNOWN: &[&str] = &[
    "notification_email",
    "notification_email_from",
    "smtp_server",
    "smtp_helo_name",
    "smtp_connect_timeout",
    "smtp_alert",
    "smtp_alert_vrrp",
    "smtp_alert_checker",
    "checker_log_all_failures",
    "no_email_faults",
    "no_checker_emails",
    "lvs_id",
    "lvs_timeouts",
    "lvs_flush",
    "lvs_flush_on_stop",
    "lvs_flush_onstop",
    "lvs_sync_daemon",
    "lvs_notify_fifo",
    "lvs_notify_fifo_script",
    "lvs_netlink_cmd_rcv_bufs",
    "lvs_netlink_cmd_rcv_bufs_force",
    "lvs_netlink_monitor_rcv_bufs",
    "lvs_netlink_monitor_rcv_bufs_force",
    "lvs_process_name",
    "checker_process_name",
    "checker_priority",
    "checker_no_swap",
    "checker_rt_priority",
    "checker_cpu_affinity",
    "checker_rlimit_rttime",
    "checker_rlimit_rtime",
    "bfd_process_name",
    "bfd_priority",
    "bfd_no_swap",
    "bfd_rt_priority",
    "bfd_cpu_affinity",
    "bfd_rlimit_rttime",
    "bfd_rlimit_rtime",
    "snmp_socket",
    "enable_traps",
    "enable_snmp_vrrp",
    "enable_snmp_keepalived",
    "enable_snmp_rfc",
    "enable_snmp_rfcv2",
    "enable_snmp_rfcv3",
    "enable_snmp_checker",
    "snmp_vs_stats_update_interval",
    "snmp_rs_stats_update_interval",
    "enable_dbus",
    "dbus_service_name",
    "dbus_no_interface_name",
    "nftables_ipvs",
    "nftables_ipvs_priority",
    "nftables_ipvs_start_fwmark",
    "rs_init_notifies",
    // VRRP-related or process-wide, not implemented.
    "net_namespace",
    "net_namespace_ipvs",
    "namespace_with_ipsets",
    "use_pid_dir",
    "instance",
    "child_wait_time",
    "linkbeat_use_polling",
    "process_names",
    "process_name",
    "vrrp_process_name",
    "use_symlink_paths",
    "set_supplementary_groups",
    "startup_script",
    "startup_script_timeout",
    "shutdown_script",
    "shutdown_script_timeout",
    "max_auto_priority",
    "min_auto_priority_delay",
    "dynamic_interfaces",
    "default_interface",
    "disable_local_igmp",
    "vrrp_mcast_group4",
    "vrrp_mcast_group6",
    "vrrp_garp_master_refresh_repeat",
    "vrrp_garp_lower_prio_delay",
    "vrrp_garp_lower_prio_repeat",
    "vrrp_down_timer_adverts",
    "vrrp_min_garp",
    "vrrp_garp_extra_if",
    "vrrp_vmac_garp_intvl",
    "vrrp_lower_prio_no_advert",
    "vrrp_higher_prio_send_advert",
    "vrrp_iptables",
    "vrrp_ipsets",
    "nftables",
    "nftables_priority",
    "nftables_ifindex",
    "nftables_counters",
    "vrrp_priority",
    "vrrp_no_swap",
    "vrrp_rt_priority",
    "vrrp_cpu_affinity",
    "vrrp_rlimit_rttime",
    "vrrp_rlimit_rtime",
    "notify_fifo_script",
    "vrrp_notify_fifo_script",
    "vrrp_notify_priority_changes",
    "fifo_write_vrrp_states_on_reload",
    "vrrp_netlink_cmd_rcv_bufs",
    "vrrp_netlink_cmd_rcv_bufs_force",
    "vrrp_netlink_monitor_rcv_bufs",
    "vrrp_netlink_monitor_rcv_bufs_force",
    "process_monitor_rcv_bufs",
    "process_monitor_rcv_bufs_force",
    "vrrp_rx_bufs_policy",
    "vrrp_rx_bufs_multiplier",
    "log_unknown_vrids",
    "vrrp_owner_ignore_adverts",
    "vmac_prefix",
    "vmac_addr_prefix",
    "umask",
    "random_seed",
    "reload_check_config",
    "reload_time_file",
    "reload_repeat",
    "reload_file",
    "include_check",
    "config_save_dir",
    "tmp_config_directory",
    "data_use_instance",
    "json_version",
    "iproute_usr_dir",
    "iproute_etc_dir",
    "state_dump_file",
    "stats_dump_file",
    "json_dump_file",
];

/// How a `global_defs` directive other than [`GLOBAL_SUPPORTED`] is treated.
pub(crate) fn global_class(word: &str) -> Option<Class> {
    if GLOBAL_SUPPORTED.contains(&word) {
        return Some(Class::Supported);
    }
    if !GLOBAL_KNOWN.contains(&word) {
        return None;
    }
    const NOT_VRRP_PREFIXES: &[&str] = &[
        "notification_email",
        "smtp_",
        "lvs_",
        "checker_",
        "bfd_",
        "snmp_",
        "enable_snmp_",
        "enable_traps",
        "enable_dbus",
        "dbus_",
        "no_email_faults",
        "no_checker_emails",
        "nftables_ipvs",
        "rs_init_notifies",
    ];
    if NOT_VRRP_PREFIXES.iter().any(|p| word.starts_with(p)) {
        Some(Class::NotVrrp)
    } else {
        Some(Class::Unsupported)
    }
}

/// `vrrp_instance`: what we implement (`smtp_alert` is recognised and skipped with its
/// own warning).
pub(crate) const INSTANCE_SUPPORTED: &[&str] = &[
    "state",
    "interface",
    "virtual_router_id",
    "priority",
    "advert_int",
    "virtual_ipaddress",
    "authentication",
    "track_script",
    "nopreempt",
    "preempt_delay",
    "unicast_src_ip",
    "unicast_peer",
    "track_interface",
    "notify_master",
    "notify_backup",
    "notify_fault",
    "notify_stop",
    "notify",
    "garp_master_delay",
    "garp_master_repeat",
    "garp_master_refresh",
    "version",
    "accept",
    "no_accept",
    "virtual_ipaddress_excluded",
    "dont_track_primary",
    "native_ipv6",
    "preempt",
    "v3_checksum_as_v2",
    "strict_mode",
    "skip_check_adv_addr",
    "check_unicast_src",
    "use_vmac",
    "vmac_xmit_base",
    "smtp_alert",
    "track_process",
    "track_file",
    "virtual_routes",
    "virtual_rules",
];

/// `vrrp_instance`: other directives keepalived 2.2 knows, skipped with a warning.
pub(crate) const INSTANCE_UNSUPPORTED: &[&str] = &[
    "mcast_src_ip",
    "mcast_dst_ip",
    "track_src_ip",
    "unicast_ttl",
    "unicast_fault_no_peer",
    "old_unicast_checksum",
    "vrf",
    "track_bfd",
    "no_virtual_ipaddress",
    "promote_secondaries",
    "linkbeat_use_polling",
    "debug",
    "notify_deleted",
    "notify_master_rx_lower_pri",
    "notify_priority_changes",
    "lvs_sync_daemon_interface",
    "garp_master_refresh_repeat",
    "garp_lower_prio_delay",
    "garp_lower_prio_repeat",
    "down_timer_adverts",
    "timer_expired_backup",
    "thread_timer_expired",
    "garp_extra_if",
    "vmac_garp_intvl",
    "lower_prio_no_advert",
    "higher_prio_send_advert",
    "owner_ignore_adverts",
    "kernel_rx_buf_size",
    "use_vmac_addr",
    "use_ipvlan",
    "auth_hmac",
];

/// `authentication { ... }`.
pub(crate) const AUTH_SUPPORTED: &[&str] = &["auth_type", "auth_pass"];

/// `vrrp_script { ... }`.
pub(crate) const SCRIPT_SUPPORTED: &[&str] = &[
    "script", "interval", "timeout", "weight", "rise", "fall", "user",
];

/// `vrrp_track_process { ... }`.
pub(crate) const PROCESS_SUPPORTED: &[&str] = &[
    "process",
    "param_match",
    "weight",
    "quorum",
    "quorum_max",
    "fork_delay",
    "terminate_delay",
    "delay",
    "full_command",
];

/// `track_file { ... }` (`vrrp_track_file`).
pub(crate) const FILE_SUPPORTED: &[&str] = &["file", "weight", "init_file"];

/// `vrrp_script { ... }`: known to keepalived, skipped.
pub(crate) const SCRIPT_UNSUPPORTED: &[&str] = &["init_fail"];

/// `vrrp_sync_group { ... }`.
pub(crate) const SYNC_GROUP_KNOWN: &[&str] = &[
    "group",
    "notify_master",
    "notify_backup",
    "notify_fault",
    "notify_stop",
    "notify",
    "smtp_alert",
    "global_tracking",
    "sync_group_tracking_weight",
    "track_interface",
    "track_script",
    "track_file",
    "track_process",
    "track_bfd",
    "notify_priority_changes",
];

/// `garp_group { ... }`.
pub(crate) const GARP_GROUP_SUPPORTED: &[&str] =
    &["garp_interval", "gna_interval", "interface", "interfaces"];

/// Options after an address in `virtual_ipaddress`: supported ones.
pub(crate) const VIP_OPTIONS: &[&str] = &["dev", "label", "brd", "broadcast", "scope", "no_track"];

/// Options after an address in `virtual_ipaddress` that keepalived knows and we skip;
/// `true` when the option takes a value.
pub(crate) const VIP_OPTIONS_UNSUPPORTED: &[(&str, bool)] = &[
    ("peer", true),
    ("preferred_lft", true),
    ("track_group", true),
    ("home", false),
    ("-nodad", false),
    ("nodad", false),
    ("mngtmpaddr", false),
    ("noprefixroute", false),
    ("autojoin", false),
    ("use_vmac", false),
];
