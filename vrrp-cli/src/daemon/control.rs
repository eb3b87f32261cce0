//! The status socket's backend in the daemon: status from the event loop, and the
//! handover / resume requests root may make (`vrrp handover`, `vrrp resume`).

use vrrp_core::router::HandoverStart;
use vrrp_io::{Handle, RouterStatus};

use super::status::{Backend, ControlResult, ControlVerb};

/// The event loop, as the status socket sees it.
pub struct DaemonBackend(pub Handle);

impl Backend for DaemonBackend {
    fn status(&self) -> Vec<RouterStatus> {
        self.0.status().unwrap_or_default()
    }

    fn unattributed(&self) -> Option<vrrp_core::UnattributedStatistics> {
        self.0.unattributed_statistics()
    }

    fn control(&self, verb: ControlVerb, names: Vec<String>) -> Result<Vec<ControlResult>, String> {
        let results = match verb {
            ControlVerb::HandOver => self
                .0
                .hand_over(names)
                .map_err(|e| e.to_string())?
                .into_iter()
                .map(|(name, result)| match result {
                    Ok(HandoverStart::HandingOver) => {
                        tracing::info!("{name}: handing over to the best backup (vrrp handover)");
                        outcome(name, "handing over")
                    }
                    Ok(HandoverStart::Demoted) => {
                        tracing::info!("{name}: demoted (vrrp handover)");
                        outcome(name, "demoted")
                    }
                    Err(e) => failure(name, e.to_string()),
                })
                .collect(),
            ControlVerb::Resume => self
                .0
                .resume(names)
                .map_err(|e| e.to_string())?
                .into_iter()
                .map(|(name, result)| match result {
                    Ok(true) => {
                        tracing::info!("{name}: resumed (vrrp resume)");
                        outcome(name, "resumed")
                    }
                    Ok(false) => outcome(name, "not demoted"),
                    Err(e) => failure(name, e.to_string()),
                })
                .collect(),
        };
        Ok(results)
    }
}

fn outcome(name: String, what: &str) -> ControlResult {
    ControlResult {
        name,
        outcome: Some(what.to_owned()),
        error: None,
    }
}

fn failure(name: String, error: String) -> ControlResult {
    ControlResult {
        name,
        outcome: None,
        error: Some(error),
    }
}
