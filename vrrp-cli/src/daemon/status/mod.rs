//! `vrrp status`: a Unix socket on which `vrrp run` answers with every router's state as
//! JSON (documented field by field in `docs/status.md`), and the client that asks it.
//!
//! - [`bind`] creates the socket (mode 0660, never replacing anything but a stale
//!   socket) and returns a [`StatusSocket`] that removes the file on drop if it is still
//!   ours; [`default_socket`] picks a path per named network namespace.
//! - [`serve`] answers on it from a thread per client, with deadlines and limits
//!   ([`Limits`]); the routers' state comes from any [`StatusSource`], their track names
//!   from [`TrackNames`] behind a [`SharedTrackNames`] the daemon replaces on reload.
//! - [`query`] asks, [`render_text`] / [`write_json`] print, all through the typed
//!   [`RouterReport`].

mod client;
pub(crate) mod deadline;
mod model;
mod render;
mod server;
mod socket;

pub use client::{control, query, query_within, StatusError, QUERY_TIMEOUT};
pub use model::{
    ControlReply, ControlResult, ControlVerb, Counters, ErrorReply, PeerReport, RouterReport,
    SharedTrackNames, TrackKind, TrackNames, TrackReport, Transition,
};
pub use render::{render_text, write_json};
pub(crate) use server::accept_on_thread;
pub use server::{parse_request, serve, serve_with, Backend, Limits, Request, StatusSource};
pub use socket::{
    bind, default_socket, default_socket_for, BindError, StatusSocket, DEFAULT_SOCKET, SOCKET_MODE,
};

#[cfg(test)]
mod tests;
