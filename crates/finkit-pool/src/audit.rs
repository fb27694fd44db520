//! The append-only, hash-chained audit trail.
//!
//! Every entry records who did what to which entity, when, and whether it was allowed. Entry `n`
//! stores `hash_n = SHA-256(hash_{n-1} ‖ canonical(entry_n))` (hex), with `hash_0` = 64 zeros, and
//! the pool keeps the chain *head* (entry count and last hash) in a separate place that is
//! updated in the same transaction as each append.
//!
//! # What [`verify_chain`] detects
//!
//! - an edited entry (its hash no longer matches its content);
//! - an inserted or deleted entry in the middle (sequence numbers and `prev_hash` links break);
//! - a deleted last entry (the count and hash no longer match the stored head);
//! - with an anchor ([`AuditStatus::check_anchor`], `finkit pool audit-verify --expect-head
//!   COUNT:HASH`): a deleted tail with the head rewritten, a truncated and reset chain, and a
//!   chain rewritten from the start;
//! - in the SQL backends: a dropped or replaced append-only trigger, or an extra trigger on the
//!   audit tables.
//!
//! # Limits
//!
//! The chain has no secret: someone who can write the database file can rewrite *every* entry
//! after the edited one, recompute the hashes and update the head consistently. Such a forgery
//! is detected only against an anchor kept outside the file: record [`AuditHead`] from time to
//! time (a report, a ticket, another system) and check it with [`AuditStatus::extends`].

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::security::{Principal, Role};

/// The `prev_hash` of the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Whether the audited call was allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The call was allowed and done.
    Allowed,
    /// The call was refused by the policy.
    Denied,
}

impl Outcome {
    /// Stable name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allowed => "allowed",
            Outcome::Denied => "denied",
        }
    }

    /// Parses [`Outcome::as_str`].
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "allowed" => Some(Outcome::Allowed),
            "denied" => Some(Outcome::Denied),
            _ => None,
        }
    }
}

/// What is appended: everything but the sequence number, time and hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// Who.
    pub principal: String,
    /// In which role.
    pub role: Role,
    /// What: `read`, `ingest`, `export`, `verify_audit`, ...
    pub action: String,
    /// Which entity kind: `firms`, `statements`, ...
    pub entity: String,
    /// Details: the query or the ingest counts (never sensitive values).
    pub detail: String,
    /// Allowed or denied.
    pub outcome: Outcome,
}

impl AuditEvent {
    /// An event for a principal.
    pub fn new(
        who: &Principal,
        action: &str,
        entity: &str,
        detail: impl Into<String>,
        outcome: Outcome,
    ) -> Self {
        AuditEvent {
            principal: who.name.clone(),
            role: who.role,
            action: action.to_owned(),
            entity: entity.to_owned(),
            detail: detail.into(),
            outcome,
        }
    }
}

/// One stored entry of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Position in the chain, from 1 without gaps.
    pub seq: u64,
    /// When, as RFC 3339 UTC with microseconds.
    pub at: String,
    /// Who.
    pub principal: String,
    /// In which role (snake_case name).
    pub role: String,
    /// What.
    pub action: String,
    /// Which entity kind.
    pub entity: String,
    /// Details.
    pub detail: String,
    /// `allowed` or `denied`.
    pub outcome: String,
    /// The previous entry's hash.
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

impl AuditEntry {
    /// Builds the next entry after `head`, stamping the current UTC time.
    #[must_use]
    pub fn next(head: &AuditHead, event: &AuditEvent) -> Self {
        let at = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
        let mut entry = AuditEntry {
            seq: head.count + 1,
            at,
            principal: event.principal.clone(),
            role: event.role.as_str().to_owned(),
            action: event.action.clone(),
            entity: event.entity.clone(),
            detail: event.detail.clone(),
            outcome: event.outcome.as_str().to_owned(),
            prev_hash: head.hash.clone(),
            hash: String::new(),
        };
        entry.hash = entry.compute_hash();
        entry
    }

    /// The canonical byte string that is hashed: every field but `hash`, each written as its
    /// byte length, `:`, the bytes, and `;`, so no two different entries share an encoding.
    #[must_use]
    pub fn canonical(&self) -> String {
        let mut out = String::with_capacity(256);
        let seq = self.seq.to_string();
        for field in [
            seq.as_str(),
            &self.at,
            &self.principal,
            &self.role,
            &self.action,
            &self.entity,
            &self.detail,
            &self.outcome,
        ] {
            let _ = write!(out, "{}:{};", field.len(), field);
        }
        out
    }

    /// `hex(SHA-256(prev_hash ‖ canonical))`.
    #[must_use]
    pub fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.prev_hash.as_bytes());
        h.update(self.canonical().as_bytes());
        hex::encode(h.finalize())
    }
}

/// The head of the chain: how many entries and the last hash.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AuditHead {
    /// Number of entries.
    pub count: u64,
    /// Hash of the last entry ([`GENESIS_HASH`] when empty).
    pub hash: String,
}

impl Default for AuditHead {
    fn default() -> Self {
        AuditHead { count: 0, hash: GENESIS_HASH.to_owned() }
    }
}

/// `COUNT:HASH`, the anchor format of `finkit pool audit-verify --expect-head`.
impl std::fmt::Display for AuditHead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.count, self.hash)
    }
}

/// Parses `COUNT:HASH` (a decimal count and 64 lowercase or uppercase hex digits).
impl std::str::FromStr for AuditHead {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || format!("audit head {text:?}: expected COUNT:HASH with 64 hex digits");
        let (count, hash) = text.trim().split_once(':').ok_or_else(bad)?;
        let count: u64 = count.parse().map_err(|_| bad())?;
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        Ok(AuditHead { count, hash: hash.to_ascii_lowercase() })
    }
}

/// One problem found by [`verify_chain`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AuditProblem {
    /// The sequence number of the entry concerned (or the position where one was expected).
    pub seq: u64,
    /// What is wrong.
    pub problem: String,
}

/// The result of verifying the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AuditStatus {
    /// Entries read.
    pub entries: u64,
    /// The head recomputed from the entries.
    pub head: AuditHead,
    /// Every problem found; empty when the chain is intact.
    pub problems: Vec<AuditProblem>,
    /// Hashes of every entry, by position, kept to check anchors (not serialised).
    #[serde(skip)]
    hashes: Vec<String>,
}

impl AuditStatus {
    /// Whether no problem was found.
    #[must_use]
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }

    /// Whether the verified chain is intact and extends an anchor recorded earlier (its entry
    /// number `anchor.count` still has hash `anchor.hash`): catches a wholesale rewrite.
    #[must_use]
    pub fn extends(&self, anchor: &AuditHead) -> bool {
        if !self.is_intact() {
            return false;
        }
        match anchor.count {
            0 => true,
            n => usize::try_from(n - 1)
                .ok()
                .and_then(|i| self.hashes.get(i))
                .is_some_and(|h| *h == anchor.hash),
        }
    }
}

impl AuditStatus {
    /// Checks the chain against an anchor recorded earlier outside the pool (for example the
    /// head printed by an ingest) and records a problem when the chain does not extend it:
    /// this catches what the stored head cannot, a deleted tail with the head rewritten, a
    /// truncated and reset chain, or a chain rewritten from the start.
    pub fn check_anchor(&mut self, anchor: &AuditHead) {
        if self.entries < anchor.count {
            self.problems.push(AuditProblem {
                seq: anchor.count,
                problem: format!(
                    "the trail has {} entries but the anchor {anchor} says there were at least {}: \
                     entries were deleted",
                    self.entries, anchor.count
                ),
            });
            return;
        }
        let at = match anchor.count {
            0 => Some(GENESIS_HASH),
            n => usize::try_from(n - 1).ok().and_then(|i| self.hashes.get(i)).map(String::as_str),
        };
        if at != Some(anchor.hash.as_str()) {
            self.problems.push(AuditProblem {
                seq: anchor.count,
                problem: format!(
                    "entry {} does not have the anchored hash {}: the trail was rewritten",
                    anchor.count, anchor.hash
                ),
            });
        }
    }
}

/// Verifies entries (in stored order) against the stored head.
#[must_use]
pub fn verify_chain(entries: &[AuditEntry], stored_head: &AuditHead) -> AuditStatus {
    let mut problems = Vec::new();
    let mut prev = GENESIS_HASH.to_owned();
    let mut hashes = Vec::with_capacity(entries.len());
    for (i, e) in entries.iter().enumerate() {
        let expected_seq = i as u64 + 1;
        if e.seq != expected_seq {
            problems.push(AuditProblem {
                seq: e.seq,
                problem: format!("sequence number {} where {expected_seq} was expected", e.seq),
            });
        }
        if e.prev_hash != prev {
            problems.push(AuditProblem {
                seq: e.seq,
                problem: "previous-hash link broken (an entry was inserted or deleted)".into(),
            });
        }
        let recomputed = e.compute_hash();
        if recomputed != e.hash {
            problems.push(AuditProblem {
                seq: e.seq,
                problem: "hash does not match the content (the entry was edited)".into(),
            });
        }
        prev = e.hash.clone();
        hashes.push(e.hash.clone());
    }
    let head = AuditHead { count: entries.len() as u64, hash: prev };
    if head != *stored_head {
        problems.push(AuditProblem {
            seq: head.count,
            problem: format!(
                "chain ends at entry {} but the stored head says {} (entries deleted or added at the end)",
                head.count, stored_head.count
            ),
        });
    }
    AuditStatus { entries: entries.len() as u64, head, problems, hashes }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: usize) -> (Vec<AuditEntry>, AuditHead) {
        let who = Principal::new("ann", Role::Analyst);
        let mut head = AuditHead::default();
        let mut v = Vec::new();
        for i in 0..n {
            let e = AuditEntry::next(
                &head,
                &AuditEvent::new(&who, "read", "firms", format!("q{i}"), Outcome::Allowed),
            );
            head = AuditHead { count: e.seq, hash: e.hash.clone() };
            v.push(e);
        }
        (v, head)
    }

    #[test]
    fn sha256_matches_the_fips_vector() {
        // FIPS 180-2 example "abc".
        assert_eq!(
            hex::encode(Sha256::digest(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn intact_chain_verifies_and_tampering_is_found() {
        let (v, head) = chain(5);
        let ok = verify_chain(&v, &head);
        assert!(ok.is_intact());
        assert!(ok.extends(&AuditHead { count: 3, hash: v[2].hash.clone() }));

        let mut edited = v.clone();
        edited[2].detail = "something else".into();
        assert!(!verify_chain(&edited, &head).is_intact());

        let mut deleted = v.clone();
        deleted.remove(1);
        assert!(!verify_chain(&deleted, &head).is_intact());

        let mut tail = v.clone();
        tail.pop();
        assert!(!verify_chain(&tail, &head).is_intact());

        let mut inserted = v.clone();
        let extra = inserted[1].clone();
        inserted.insert(2, extra);
        assert!(!verify_chain(&inserted, &head).is_intact());
    }

    #[test]
    fn anchors_catch_rewrites_that_the_stored_head_cannot() {
        let (v, head) = chain(5);
        let anchor = AuditHead { count: 3, hash: v[2].hash.clone() };
        let mut ok = verify_chain(&v, &head);
        ok.check_anchor(&anchor);
        assert!(ok.is_intact(), "{:?}", ok.problems);
        let text = anchor.to_string();
        assert_eq!(text.parse::<AuditHead>().unwrap(), anchor);
        assert!("3".parse::<AuditHead>().is_err());
        assert!("x:abc".parse::<AuditHead>().is_err());

        // The tail deleted and the head rewritten to match: intact by itself, not against
        // the anchor.
        let mut cut = verify_chain(&v[..2], &AuditHead { count: 2, hash: v[1].hash.clone() });
        assert!(cut.is_intact());
        cut.check_anchor(&anchor);
        assert!(!cut.is_intact());

        // Truncated and reset to the genesis head.
        let mut reset = verify_chain(&[], &AuditHead::default());
        assert!(reset.is_intact());
        reset.check_anchor(&anchor);
        assert!(!reset.is_intact());

        // Rewritten from the start with other content: consistent, but not the anchored chain.
        let who = Principal::new("mallory", Role::Admin);
        let mut forged_head = AuditHead::default();
        let mut forged = Vec::new();
        for i in 0..5 {
            let e = AuditEntry::next(
                &forged_head,
                &AuditEvent::new(&who, "read", "firms", format!("f{i}"), Outcome::Allowed),
            );
            forged_head = AuditHead { count: e.seq, hash: e.hash.clone() };
            forged.push(e);
        }
        let mut rewritten = verify_chain(&forged, &forged_head);
        assert!(rewritten.is_intact());
        rewritten.check_anchor(&anchor);
        assert!(!rewritten.is_intact());
    }

    #[test]
    fn canonical_encoding_is_unambiguous() {
        let (v, _) = chain(1);
        let mut a = v[0].clone();
        let mut b = v[0].clone();
        a.action = "ab".into();
        a.entity = "c".into();
        b.action = "a".into();
        b.entity = "bc".into();
        assert_ne!(a.canonical(), b.canonical());
    }
}
