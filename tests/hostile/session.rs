//! What a hostile server serves: per job and per poll the builds it lists and the counts
//! it claims, build details and phases, the job list, one error answer and the IAM
//! token. The generator fills it from a consistent truth, then the lies change it.

use serde_json::{Value, json};

/// One build as the server describes it (list entry, details and phases together).
#[derive(Debug, Clone, PartialEq)]
pub struct Build {
    pub id: String,
    pub state: String,
    /// Seconds; a finished build always has one, a running one may.
    pub duration: Option<u64>,
    pub commit: String,
    pub branch: String,
    pub started_at: String,
    pub ended_at: Option<String>,
    /// `(name, state)` in the API's order.
    pub phases: Vec<(String, String)>,
}

/// The four terminal states, compared as the contract says: case-insensitively.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Terminal {
    Successful,
    Failed,
    Timeout,
    Cancel,
}

impl Terminal {
    pub const ALL: [Terminal; 4] = [
        Terminal::Successful,
        Terminal::Failed,
        Terminal::Timeout,
        Terminal::Cancel,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Terminal::Successful => "Successful",
            Terminal::Failed => "Failed",
            Terminal::Timeout => "Timeout",
            Terminal::Cancel => "Cancel",
        }
    }

    pub fn parse(state: &str) -> Option<Terminal> {
        let state = state.trim();
        Terminal::ALL
            .into_iter()
            .find(|t| t.name().eq_ignore_ascii_case(state))
    }

    pub fn is_failure(self) -> bool {
        matches!(self, Terminal::Failed | Terminal::Timeout)
    }
}

impl Build {
    pub fn terminal(&self) -> Option<Terminal> {
        Terminal::parse(&self.state)
    }

    /// The terminal state and duration of a finished build.
    pub fn finished(&self) -> Option<(Terminal, u64)> {
        Some((self.terminal()?, self.duration?))
    }

    /// The build still running, as a poll before it finished would show it.
    pub fn running(&self) -> Build {
        Build {
            state: "Building".into(),
            duration: None,
            ended_at: None,
            phases: Vec::new(),
            ..self.clone()
        }
    }

    pub fn list_entry(&self) -> Value {
        let mut entry = json!({"build_id": self.id, "build_state": self.state});
        if let Some(duration) = self.duration {
            entry["duration"] = json!(duration);
        }
        entry
    }
}

/// The API's own counts, as a page carries them.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Counts {
    pub total: Option<u64>,
    pub finished: Option<u64>,
    pub successful: Option<u64>,
}

impl Counts {
    /// The counts an honest server gives for `builds` (each id once).
    pub fn of(builds: &[Build]) -> Counts {
        let mut seen = std::collections::HashSet::new();
        let unique: Vec<&Build> = builds.iter().filter(|b| seen.insert(&b.id)).collect();
        let count = |keep: &dyn Fn(&Build) -> bool| unique.iter().filter(|b| keep(b)).count();
        Counts {
            total: Some(unique.len() as u64),
            finished: Some(count(&|b| b.finished().is_some()) as u64),
            successful: Some(count(&|b| b.terminal() == Some(Terminal::Successful)) as u64),
        }
    }
}

/// One poll's answer for a job: the list, in order (repeats included), and its counts.
#[derive(Debug, Clone)]
pub struct View {
    pub builds: Vec<Build>,
    pub counts: Counts,
}

impl View {
    pub fn honest(builds: Vec<Build>) -> View {
        let counts = Counts::of(&builds);
        View { builds, counts }
    }
}

/// A job as the job list names it.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: String,
    pub name: String,
}

/// The builds a job id is served, poll by poll (the last poll repeats).
#[derive(Debug, Clone)]
pub struct JobBuilds {
    pub id: String,
    /// The job's name, for a path that lost its id (`..` resolved away by the client).
    pub name: String,
    pub polls: Vec<View>,
}

/// Which request an error answer replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    JobList,
    Builds,
    Details,
    Phases,
}

#[derive(Debug, Clone)]
pub struct ErrorAnswer {
    pub route: Route,
    pub status: u16,
    pub code: String,
    pub message: String,
    pub request_id: Option<String>,
}

impl ErrorAnswer {
    pub fn body(&self) -> String {
        json!({"error_code": self.code, "error_msg": self.message}).to_string()
    }
}

/// How the server encodes a request's signature where the marker stands.
#[derive(Debug, Clone)]
pub struct SignatureEcho {
    pub encoding: super::encode::Encoding,
}

/// A string the generator puts where the request's own signature is echoed.
pub const SIGNATURE_MARKER: &str = "sigmarker0echo";

/// A string the generator puts where the token of a renewed login is echoed.
pub const RENEWAL_MARKER: &str = "renewmarker0echo";

/// A login that expires: the first answer to one job says the token expired, and the
/// second login gets another token.
#[derive(Debug, Clone)]
pub struct Renewal {
    pub token: String,
    /// The job whose first builds request is answered "token expires".
    pub expired_job: String,
}

#[derive(Debug, Clone)]
pub struct Served {
    /// The job list, filtered by `job_name` (contains, any case) when asked.
    pub job_list: Vec<Job>,
    /// Entries only the unfiltered job list shows (suggestions).
    pub unfiltered_extra: Vec<Job>,
    pub builds: Vec<JobBuilds>,
    /// Most builds one page holds, whatever `per_page` asks.
    pub cap: usize,
    /// Every page is page 1.
    pub ignore_page: bool,
    /// This page repeats the one before it.
    pub repeat_page: Option<usize>,
    /// `(page, index)`: this page leaves out its build at this index.
    pub drop: Option<(usize, usize)>,
    /// Build id to the state its details name instead of the list's.
    pub details_state: Vec<(String, String)>,
    pub error: Option<ErrorAnswer>,
    /// The `X-Subject-Token` of a password login.
    pub iam_token: Option<String>,
    /// Strings written `\u`-escaped wherever they occur in a body.
    pub json_escaped: Vec<String>,
    pub signature_echo: Option<SignatureEcho>,
    pub renewal: Option<Renewal>,
}

impl Served {
    pub fn job_builds(&self, id: &str) -> Option<&JobBuilds> {
        self.builds.iter().find(|j| j.id == id)
    }
}
