//! The lead state machine as pure functions: which events move a lead from
//! which status, the response deadline, acknowledgment, and the audit entry
//! every move leaves. No I/O; the domain service loads, applies, stores.
//!
//! ```text
//! NEW ──deliver──▶ DELIVERED ──accept──▶ ACCEPTED ──contact──▶ CONTACTED ──win──▶ WON
//!  │                  │  └──decline──▶ DECLINED      │                    └─lose──▶ LOST
//!  │                  └──expire (deadline passed)──▶ EXPIRED              ACCEPTED ──lose──▶ LOST
//!  └── accept / decline / expire as from DELIVERED
//! NEW, DELIVERED, ACCEPTED, CONTACTED ──close (the need closed)──▶ CLOSED
//! ```
//!
//! An agency may answer a NEW lead: it can see leads through ListLeads
//! before its stream delivered them, and refusing that answer would only
//! make it wait for a delivery it does not need.

use crate::model::{DeclineReason, Lead, LeadStatus, Transition};

/// Something that happens to a lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The lead was written to the agency's stream for the first time.
    Deliver,
    /// The agency takes the lead on.
    Accept,
    /// The agency turns the lead down, for a reason.
    Decline(DeclineReason),
    /// The agency got in touch with the enterprise.
    Contact,
    /// The cooperation was agreed.
    Win,
    /// Nothing came of it.
    Lose,
    /// The response deadline passed without an answer.
    Expire,
    /// The need was fulfilled, withdrawn, expired or archived.
    CloseWithNeed,
}

impl Event {
    /// A short name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Event::Deliver => "deliver",
            Event::Accept => "accept",
            Event::Decline(_) => "decline",
            Event::Contact => "mark contacted",
            Event::Win => "mark won",
            Event::Lose => "mark lost",
            Event::Expire => "expire",
            Event::CloseWithNeed => "close",
        }
    }
}

/// Why an event cannot be applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// No such move from this status.
    #[error("cannot {} a lead that is {}", event.name(), from.code())]
    Illegal { from: LeadStatus, event: Event },
    /// Answering after the deadline: the lead expires instead.
    #[error("the response deadline passed; the lead has expired")]
    DeadlinePassed,
    /// Expiring before the deadline: a sweeper with a skewed clock, say.
    #[error("the response deadline has not passed yet")]
    NotDue,
}

/// The status `event` moves a lead in `from` to, or `None` when the move is illegal.
pub fn next_status(from: LeadStatus, event: Event) -> Option<LeadStatus> {
    use LeadStatus as S;
    match (from, event) {
        (S::New, Event::Deliver) => Some(S::Delivered),
        (S::New | S::Delivered, Event::Accept) => Some(S::Accepted),
        (S::New | S::Delivered, Event::Decline(_)) => Some(S::Declined),
        (S::New | S::Delivered, Event::Expire) => Some(S::Expired),
        (S::Accepted, Event::Contact) => Some(S::Contacted),
        (S::Contacted, Event::Win) => Some(S::Won),
        (S::Accepted | S::Contacted, Event::Lose) => Some(S::Lost),
        (S::New | S::Delivered | S::Accepted | S::Contacted, Event::CloseWithNeed) => Some(S::Closed),
        _ => None,
    }
}

/// Applies `event` to `lead` at `now_ms` on behalf of `actor`, recording the
/// transition. Answering also acknowledges (the agency evidently has the
/// lead), and a decline records its reason. On error the lead is unchanged.
pub fn apply(lead: &mut Lead, event: Event, actor: &str, now_ms: i64, note: &str) -> Result<(), TransitionError> {
    let from = lead.status;
    let to = next_status(from, event).ok_or(TransitionError::Illegal { from, event })?;
    let past_deadline = now_ms >= lead.respond_by_ms;
    match event {
        Event::Accept | Event::Decline(_) if past_deadline => return Err(TransitionError::DeadlinePassed),
        Event::Expire if !past_deadline => return Err(TransitionError::NotDue),
        _ => {}
    }
    if let Event::Decline(reason) = event {
        lead.decline_reason = Some(reason);
    }
    if matches!(event, Event::Accept | Event::Decline(_)) && lead.acked_at_ms.is_none() {
        lead.acked_at_ms = Some(now_ms);
    }
    if !note.is_empty() {
        lead.note = note.to_owned();
    }
    lead.status = to;
    lead.history.push(Transition { from, to, actor: actor.to_owned(), at_ms: now_ms, note: note.to_owned() });
    Ok(())
}

/// Marks the lead acknowledged by `actor`; false (and nothing changes) when
/// it already was, so a repeated ack is harmless. Acknowledging a lead that
/// was never streamed (seen through ListLeads) also counts as its delivery.
pub fn acknowledge(lead: &mut Lead, actor: &str, now_ms: i64) -> bool {
    if lead.acked_at_ms.is_some() {
        return false;
    }
    if lead.status == LeadStatus::New {
        // Cannot fail: NEW always accepts Deliver.
        let _ = apply(lead, Event::Deliver, actor, now_ms, "");
    }
    lead.acked_at_ms = Some(now_ms);
    lead.history.push(Transition {
        from: lead.status,
        to: lead.status,
        actor: actor.to_owned(),
        at_ms: now_ms,
        note: "acknowledged".into(),
    });
    true
}

#[cfg(test)]
mod tests {
    use innomatch_core::model::ServiceCategory;

    use super::*;

    const DAY: i64 = 24 * 3600 * 1000;

    fn lead(status: LeadStatus) -> Lead {
        Lead {
            id: "lead_0123456789abcdef01234567".into(),
            agency_organization_id: "org_agency".into(),
            offer_id: "offer_1".into(),
            need_id: "need_1".into(),
            need_organization_id: String::new(),
            need_title: "预制菜冷链检测".into(),
            need_summary: String::new(),
            category: ServiceCategory::TestingInspection,
            score: 0.8,
            reasons: vec![],
            status,
            created_at_ms: 0,
            respond_by_ms: 7 * DAY,
            decline_reason: None,
            note: String::new(),
            history: vec![],
            acked_at_ms: None,
            delivery_attempts: 0,
            passed_on: false,
            replaces_lead_id: String::new(),
            policy_id: String::new(),
            version: 1,
        }
    }

    fn all_events() -> Vec<Event> {
        let mut events = vec![
            Event::Deliver,
            Event::Accept,
            Event::Contact,
            Event::Win,
            Event::Lose,
            Event::Expire,
            Event::CloseWithNeed,
        ];
        events.extend(DeclineReason::ALL.iter().map(|r| Event::Decline(*r)));
        events
    }

    /// The whole table: every (status, event) pair, legal or not.
    #[test]
    fn the_transition_table_is_exactly_the_lifecycle() {
        use LeadStatus as S;
        let legal: &[(S, &str, S)] = &[
            (S::New, "deliver", S::Delivered),
            (S::New, "accept", S::Accepted),
            (S::New, "decline", S::Declined),
            (S::New, "expire", S::Expired),
            (S::Delivered, "accept", S::Accepted),
            (S::Delivered, "decline", S::Declined),
            (S::Delivered, "expire", S::Expired),
            (S::Accepted, "mark contacted", S::Contacted),
            (S::Accepted, "mark lost", S::Lost),
            (S::Contacted, "mark won", S::Won),
            (S::Contacted, "mark lost", S::Lost),
            (S::New, "close", S::Closed),
            (S::Delivered, "close", S::Closed),
            (S::Accepted, "close", S::Closed),
            (S::Contacted, "close", S::Closed),
        ];
        for from in LeadStatus::ALL {
            for event in all_events() {
                let expected = legal.iter().find(|(f, e, _)| f == from && *e == event.name()).map(|(_, _, to)| *to);
                assert_eq!(next_status(*from, event), expected, "{from} + {}", event.name());
            }
        }
    }

    #[test]
    fn final_statuses_have_no_way_out() {
        for status in LeadStatus::ALL.iter().filter(|s| s.is_final()) {
            assert!(all_events().into_iter().all(|e| next_status(*status, e).is_none()), "{status}");
        }
    }

    #[test]
    fn every_applied_event_is_recorded_with_actor_time_and_note() {
        let mut l = lead(LeadStatus::New);
        apply(&mut l, Event::Deliver, "system", 10, "").expect("deliver");
        apply(&mut l, Event::Accept, "tok_agency", 20, "本周内联系企业").expect("accept");
        apply(&mut l, Event::Contact, "tok_agency", 30, "").expect("contact");
        apply(&mut l, Event::Win, "tok_agency", 40, "签订检测服务合同").expect("win");
        let steps: Vec<_> = l.history.iter().map(|t| (t.from, t.to, t.actor.as_str(), t.at_ms)).collect();
        assert_eq!(
            steps,
            [
                (LeadStatus::New, LeadStatus::Delivered, "system", 10),
                (LeadStatus::Delivered, LeadStatus::Accepted, "tok_agency", 20),
                (LeadStatus::Accepted, LeadStatus::Contacted, "tok_agency", 30),
                (LeadStatus::Contacted, LeadStatus::Won, "tok_agency", 40),
            ]
        );
        assert_eq!(l.status, LeadStatus::Won);
        assert_eq!(l.note, "签订检测服务合同");
        assert_eq!(l.acked_at_ms, Some(20), "answering acknowledges");
    }

    #[test]
    fn an_illegal_event_changes_nothing() {
        let mut l = lead(LeadStatus::Declined);
        let before = l.clone();
        assert_eq!(
            apply(&mut l, Event::Win, "tok", 1, "x"),
            Err(TransitionError::Illegal { from: LeadStatus::Declined, event: Event::Win })
        );
        assert_eq!(l, before);
    }

    #[test]
    fn answers_after_the_deadline_are_refused_and_expiry_waits_for_it() {
        let mut l = lead(LeadStatus::Delivered);
        assert_eq!(apply(&mut l, Event::Expire, "system", 7 * DAY - 1, ""), Err(TransitionError::NotDue));
        assert_eq!(apply(&mut l, Event::Accept, "tok", 7 * DAY, ""), Err(TransitionError::DeadlinePassed));
        assert_eq!(
            apply(&mut l, Event::Decline(DeclineReason::NoCapacity), "tok", 8 * DAY, ""),
            Err(TransitionError::DeadlinePassed)
        );
        apply(&mut l, Event::Expire, "system", 7 * DAY, "").expect("expire at the deadline");
        assert_eq!(l.status, LeadStatus::Expired);
        // Outcomes of accepted leads have no deadline.
        let mut accepted = lead(LeadStatus::Accepted);
        apply(&mut accepted, Event::Contact, "tok", 30 * DAY, "").expect("contact later");
    }

    #[test]
    fn a_decline_keeps_its_reason() {
        let mut l = lead(LeadStatus::Delivered);
        apply(&mut l, Event::Decline(DeclineReason::RegionNotServed), "tok", 5, "仅服务海南").expect("decline");
        assert_eq!(l.decline_reason, Some(DeclineReason::RegionNotServed));
        assert_eq!(l.note, "仅服务海南");
    }

    #[test]
    fn acknowledging_is_idempotent_and_delivers_a_new_lead() {
        let mut l = lead(LeadStatus::New);
        assert!(acknowledge(&mut l, "tok", 5));
        assert_eq!(l.status, LeadStatus::Delivered);
        assert_eq!(l.acked_at_ms, Some(5));
        let once = l.clone();
        assert!(!acknowledge(&mut l, "tok", 9));
        assert_eq!(l, once, "a second ack changes nothing");
        assert!(!l.is_open());
    }

    /// Random walks over the machine: whatever happens, the history is a
    /// chain (each entry starts where the previous ended) ending at the
    /// current status, and a final status is never left.
    #[test]
    fn random_walks_keep_the_history_a_chain() {
        let events = all_events();
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..500 {
            let mut l = lead(LeadStatus::New);
            let mut t = 0;
            for _ in 0..12 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let event = events[(seed % events.len() as u64) as usize];
                t += (seed >> 32) as i64 % (2 * DAY);
                let before = l.status;
                match apply(&mut l, event, "tok", t, "") {
                    Ok(()) => assert!(!before.is_final()),
                    Err(_) => assert_eq!(l.status, before),
                }
            }
            let mut at = LeadStatus::New;
            for step in &l.history {
                assert_eq!(step.from, at);
                at = step.to;
            }
            assert_eq!(at, l.status);
        }
    }
}
