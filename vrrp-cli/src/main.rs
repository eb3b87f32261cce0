//! `vrrp`: a VRRP daemon that runs the VRRP part of an existing keepalived.conf.
fn main() {}
