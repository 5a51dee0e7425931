//! Everything this backend borrows from the rest of the crate, in one place, so that the
//! move to the shared strict JSON reader (`json`) and server-text policy (`text`) of the
//! new layering is a change of these lines only.

#[cfg(test)]
pub(crate) use crate::encoding::canonical_query;
pub(crate) use crate::encoding::percent_encode;
pub(crate) use crate::error::{Error, HttpFailure};
pub(crate) use crate::lookup::build::BuildDetails;
pub(crate) use crate::lookup::jobs::Job;
pub(crate) use crate::lookup::object::{self as json, Fields, List, Object};
pub(crate) use crate::lookup::region::domain;
pub(crate) use crate::model::{Build, FailedPhase, Progress, State};
/// The characters no id, state, name, commit, branch or phase name may hold.
pub(crate) use crate::report::escape::is_hidden;
