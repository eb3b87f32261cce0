//! Arbitrary bytes through both ends of the status protocol: the daemon's reading of a
//! request line (`parse_request`), and the client's reading and printing of a reply
//! (the router reports `vrrp status` renders as text and JSON, a control reply, an error
//! line). Nothing may panic, whatever a client or a daemon sends.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vrrp_cli::daemon::status::{
    parse_request, render_text, write_json, ControlReply, ErrorReply, Request, RouterReport,
};

fuzz_target!(|data: &[u8]| {
    match parse_request(data) {
        Request::Control(_, names) => assert!(names.iter().all(|n| !n.is_empty())),
        Request::Status | Request::Unknown(_) => {}
    }
    if let Ok(reports) = serde_json::from_slice::<Vec<RouterReport>>(data) {
        let mut out = Vec::new();
        render_text(&reports, &mut out).unwrap();
        write_json(&reports, &mut out).unwrap();
    }
    let _ = serde_json::from_slice::<ControlReply>(data);
    let _ = serde_json::from_slice::<ErrorReply>(data);
});
