//! A case: a consistent truth (jobs, builds with ids, states, durations, commits,
//! details and phases), what the gate is asked, and what the server serves once the
//! case's lies (see `lies`) have changed it. One seed, one case.

use super::lies::{self, Expect, Lie, LieClass};
use super::oracle::{self, Rules, Verdict};
use super::rng::Rng;
use super::session::{Build, Job, JobBuilds, Served, Terminal, View};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    /// `--job-id` and `--job-name`: no lookup.
    IdAndName,
    /// `--job-name` alone: the id comes from the job list.
    Lookup,
    /// `--job a --job b [...]`.
    Several,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredKind {
    Token,
    AkSk,
    AkSkSecurity,
    Password,
}

#[derive(Debug, Clone)]
pub struct Creds {
    pub kind: CredKind,
    /// `(variable, value)` of each configured credential.
    pub values: Vec<(&'static str, String)>,
    /// The IAM token a password login obtains.
    pub iam_token: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Annotations {
    Github,
    Azure,
    None,
}

#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub json: bool,
    pub annotations: Annotations,
    pub junit: bool,
    pub verbose: bool,
    pub utf8: bool,
}

#[derive(Debug, Clone)]
pub struct Case {
    pub seed: u64,
    pub creds: Creds,
    pub naming: Naming,
    /// The jobs the gate is asked about, as the truth names them.
    pub jobs: Vec<Job>,
    /// Per job, the builds as they truly are at the end of the run, newest first.
    pub truth: Vec<Vec<Build>>,
    pub rules: Rules,
    pub output: Output,
    /// `--wait` with a 1 s poll interval: the target finishes after the first poll.
    pub wait: bool,
    pub served: Served,
    pub lies: Vec<Lie>,
}

/// What the session needs so that its lies can be told.
#[derive(Debug, Clone, Copy, Default)]
pub struct Shape {
    pub single_job: bool,
    pub several: bool,
    pub lookup: bool,
    pub commit: bool,
    pub wait: bool,
    pub failed_target: bool,
    pub password: bool,
    pub small_cap: bool,
    /// At least this many builds in job 0.
    pub min_builds: usize,
    /// Job 0's builds fill this many pages, and one build more.
    pub beyond_pages: usize,
}

pub fn case(seed: u64) -> Case {
    let rng = &mut Rng::new(seed);
    let classes = lies::choose(rng);
    let shape = classes
        .iter()
        .fold(Shape::default(), |shape, class| class.shape(shape, rng));
    let creds = creds(rng, shape.password);
    let naming = naming(rng, &shape);
    let jobs = jobs(rng, naming);
    let cap = match (shape.small_cap, rng.chance(20)) {
        (true, _) => rng.range(2, 5) as usize,
        (false, true) => rng.range(3, 10) as usize,
        (false, false) => 100,
    };
    let least = match shape.beyond_pages {
        0 => shape.min_builds,
        pages => shape.min_builds.max(pages * cap + 1),
    };
    let healthy = rng.chance(70);
    let mut truth: Vec<Vec<Build>> = jobs
        .iter()
        .enumerate()
        .map(|(i, _)| {
            let n = match i {
                0 => rng.range(least as u64, (least + 24) as u64),
                _ => rng.range(shape.several as u64, 20),
            };
            builds(rng, n as usize, healthy)
        })
        .collect();
    let rules = rules(rng, &mut truth[0], &shape);
    let output = output(rng);
    let mut served = serve(&jobs, &truth, cap, &rules, shape.wait);
    served.iam_token = creds.iam_token.clone();
    let mut case = Case {
        seed,
        creds,
        naming,
        jobs,
        truth,
        rules,
        output,
        wait: shape.wait,
        served,
        lies: Vec::new(),
    };
    // Text lies go in first: the structural lie after them may copy or move what they
    // changed (a repeat of the build they renamed).
    for (index, class) in classes.iter().enumerate().rev() {
        if let Some(lie) = lies::apply(*class, &mut case, rng, index > 0) {
            case.lies.push(lie);
        }
    }
    case
}

fn creds(rng: &mut Rng, password: bool) -> Creds {
    let kind = match password {
        true => CredKind::Password,
        false => *rng.pick(&[
            CredKind::Token,
            CredKind::AkSk,
            CredKind::AkSkSecurity,
            CredKind::Password,
        ]),
    };
    let values = match kind {
        CredKind::Token => vec![("SERVICESTAGE_TOKEN", format!("tk{}", rng.alnum(30)))],
        CredKind::AkSk | CredKind::AkSkSecurity => {
            let mut values = vec![
                (
                    "HUAWEICLOUD_SDK_AK",
                    rng.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 20),
                ),
                ("HUAWEICLOUD_SDK_SK", rng.alnum(40)),
            ];
            if kind == CredKind::AkSkSecurity {
                values.push((
                    "HUAWEICLOUD_SDK_SECURITY_TOKEN",
                    format!("st{}", rng.alnum(60)),
                ));
            }
            values
        }
        CredKind::Password => vec![("SERVICESTAGE_IAM_PASSWORD", format!("pw{}", rng.alnum(18)))],
    };
    let iam_token = (kind == CredKind::Password).then(|| format!("MII{}", rng.alnum(61)));
    Creds {
        kind,
        values,
        iam_token,
    }
}

fn naming(rng: &mut Rng, shape: &Shape) -> Naming {
    match (shape.several, shape.lookup, shape.single_job) {
        (true, _, _) => Naming::Several,
        (false, true, true) => Naming::Lookup,
        (false, true, false) => *rng.pick(&[Naming::Lookup, Naming::Several]),
        (false, false, true) => *rng.pick(&[Naming::IdAndName, Naming::Lookup]),
        (false, false, false) => *rng.pick(&[Naming::IdAndName, Naming::Lookup, Naming::Several]),
    }
}

fn jobs(rng: &mut Rng, naming: Naming) -> Vec<Job> {
    let count = match naming {
        Naming::Several => rng.range(2, 3) as usize,
        _ => 1,
    };
    let bases = ["api", "web", "worker", "batch", "gateway"];
    let first = rng.index(bases.len());
    (0..count)
        .map(|i| Job {
            id: uuid(rng),
            name: format!("{}-{}", bases[(first + i) % bases.len()], rng.hex(4)),
        })
        .collect()
}

pub fn uuid(rng: &mut Rng) -> String {
    format!(
        "{}-{}-{}-{}",
        rng.hex(8),
        rng.hex(4),
        rng.hex(4),
        rng.hex(12)
    )
}

/// `n` builds, newest first; healthy histories are mostly Successful.
fn builds(rng: &mut Rng, n: usize, healthy: bool) -> Vec<Build> {
    let mut commit = rng.hex(40);
    (0..n)
        .map(|i| {
            if i == 0 || !rng.chance(20) {
                commit = rng.hex(40);
            }
            let state = state(rng, i, healthy);
            build(rng, i, state, commit.clone())
        })
        .collect()
}

fn state(rng: &mut Rng, position: usize, healthy: bool) -> String {
    let roll = rng.below(100);
    if position < 2 && !healthy && roll < 12 {
        return rng
            .pick(&["Building", "Queuing", "Pushing", "NotStarted"])
            .to_string();
    }
    let terminal = match (healthy, roll) {
        (true, 0..=84) | (false, 0..=54) => Terminal::Successful,
        (true, 85..=89) | (false, 55..=74) => Terminal::Failed,
        (true, 90..=94) | (false, 75..=84) => Terminal::Timeout,
        _ => Terminal::Cancel,
    };
    // The contract compares states case-insensitively; an honest server may say so too.
    match rng.below(20) {
        0 => terminal.name().to_ascii_uppercase(),
        1 => terminal.name().to_ascii_lowercase(),
        _ => terminal.name().to_string(),
    }
}

pub fn build(rng: &mut Rng, position: usize, state: String, commit: String) -> Build {
    let terminal = Terminal::parse(&state);
    let duration = match terminal {
        Some(Terminal::Successful) => Some(rng.range(540, 660)),
        Some(Terminal::Cancel) => Some(rng.range(5, 300)),
        Some(_) => Some(rng.range(60, 900)),
        None => rng.chance(50).then(|| rng.range(10, 300)),
    };
    let started = format!(
        "2025-06-{:02} {:02}:{:02}:{:02} +0000 UTC",
        28 - position / 12,
        23 - position % 12,
        rng.below(60),
        rng.below(60)
    );
    Build {
        id: uuid(rng),
        state,
        duration,
        commit,
        branch: rng
            .pick(&["main", "master", "release/2.1", "feature/login"])
            .to_string(),
        ended_at: terminal.map(|_| started.replace(" +0000", ".9 +0000")),
        started_at: started,
        phases: terminal.map_or(Vec::new(), |t| phases(rng, t)),
    }
}

pub const PHASES: [&str; 6] = [
    "Init",
    "Download",
    "PreProcess",
    "Build",
    "Artifact",
    "PostProcess",
];

/// The phases of a build that ended as `terminal`: a failure stops in one phase.
pub fn phases(rng: &mut Rng, terminal: Terminal) -> Vec<(String, String)> {
    let stop = rng.index(PHASES.len());
    PHASES
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let state = match (terminal, i.cmp(&stop)) {
                (Terminal::Successful, _) | (_, std::cmp::Ordering::Less) => "Successful",
                (Terminal::Cancel, std::cmp::Ordering::Equal) => "Cancel",
                (t, std::cmp::Ordering::Equal) => t.name(),
                (_, std::cmp::Ordering::Greater) => "NotStarted",
            };
            (name.to_string(), state.to_string())
        })
        .collect()
}

fn rules(rng: &mut Rng, builds: &mut [Build], shape: &Shape) -> Rules {
    let window = rng.range(1, 12) as usize;
    let mut rules = Rules {
        window,
        min_builds: rng.range(1, window as u64) as usize,
        min_success_rate: rng
            .chance(40)
            .then(|| *rng.pick(&[50, 60, 70, 80, 90, 100])),
        max_consecutive_failures: rng.chance(30).then(|| rng.range(0, 2) as usize),
        max_duration_regression: rng.chance(25).then(|| *rng.pick(&[20, 50, 100])),
        max_duration: rng.chance(30).then(|| rng.range(600, 1500)),
        inconclusive_pass: rng.chance(15),
        ignore_running: !shape.wait && rng.chance(20),
        ..Rules::default()
    };
    if rng.chance(15) || (shape.failed_target && rng.chance(50)) {
        let sets: [&[Terminal]; 3] = [
            &[Terminal::Successful, Terminal::Cancel],
            &[Terminal::Failed, Terminal::Timeout],
            &[Terminal::Successful, Terminal::Failed, Terminal::Timeout],
        ];
        rules.require = rng.pick(&sets).to_vec();
    }
    target_rules(rng, &mut rules, builds, shape);
    let enabled: Vec<&'static str> = oracle::rule_verdicts(builds, &rules)
        .into_iter()
        .map(|(name, _)| name)
        .filter(|name| *name != "state")
        .collect();
    if !enabled.is_empty() && rng.chance(20) {
        rules.advisory = enabled.into_iter().filter(|_| rng.chance(50)).collect();
    }
    rules
}

/// `--commit` or `--build-id`, and the target the shape needs: finished (for a wait,
/// which hides its end in the first poll), or Failed/Timeout (for its phases).
fn target_rules(rng: &mut Rng, rules: &mut Rules, builds: &mut [Build], shape: &Shape) {
    let wants_commit = shape.commit || (!shape.wait && rng.chance(15));
    if wants_commit && !builds.is_empty() {
        let candidates = oracle::candidates(builds, rules.window).len();
        let chosen = &builds[rng.index(candidates)];
        let len = rng.range(7, 40) as usize;
        let prefix = &chosen.commit[..len];
        rules.commit = Some(match rng.chance(30) {
            true => prefix.to_ascii_uppercase(),
            false => prefix.to_string(),
        });
        if !shape.commit && !shape.wait && !shape.failed_target && rng.chance(10) {
            rules.commit = Some(rng.hex(12));
        }
    } else if !shape.wait && !builds.is_empty() && rng.chance(10) {
        rules.build_id = Some(match rng.chance(80) {
            true => builds[rng.index(builds.len())].id.clone(),
            false => "missing-build".into(),
        });
    }
    let Some(index) = oracle::target(builds, rules) else {
        return;
    };
    let target = &mut builds[index];
    if shape.failed_target {
        let terminal = *rng.pick(&[Terminal::Failed, Terminal::Timeout]);
        *target = Build {
            state: terminal.name().into(),
            duration: Some(rng.range(60, 900)),
            ended_at: Some(target.started_at.replace(" +0000", ".9 +0000")),
            phases: phases(rng, terminal),
            ..target.clone()
        };
    } else if shape.wait && target.finished().is_none() {
        target.state = "Successful".into();
        target.duration = Some(rng.range(540, 660));
        target.ended_at = Some(target.started_at.replace(" +0000", ".9 +0000"));
        target.phases = phases(rng, Terminal::Successful);
    }
}

fn output(rng: &mut Rng) -> Output {
    Output {
        json: rng.chance(50),
        annotations: *rng.pick(&[
            Annotations::Github,
            Annotations::Github,
            Annotations::Azure,
            Annotations::None,
        ]),
        junit: rng.chance(60),
        verbose: rng.chance(25),
        utf8: rng.chance(50),
    }
}

/// What an honest server serves for the truth. Under `--wait` the first poll shows the
/// target still running.
fn serve(jobs: &[Job], truth: &[Vec<Build>], cap: usize, rules: &Rules, wait: bool) -> Served {
    let builds = jobs
        .iter()
        .zip(truth)
        .enumerate()
        .map(|(i, (job, builds))| {
            let mut polls = vec![View::honest(builds.clone())];
            if let (0, true, Some(index)) = (i, wait, oracle::target(builds, rules)) {
                let mut first = builds.clone();
                first[index] = first[index].running();
                polls.insert(0, View::honest(first));
            }
            JobBuilds {
                id: job.id.clone(),
                name: job.name.clone(),
                polls,
            }
        })
        .collect();
    let mut job_list = jobs.to_vec();
    let decoys: Vec<Job> = jobs
        .iter()
        .map(|job| Job {
            id: format!("{}-old", job.id),
            name: format!("{}-old", job.name),
        })
        .collect();
    job_list.extend(decoys);
    Served {
        job_list,
        unfiltered_extra: Vec::new(),
        builds,
        cap,
        ignore_page: false,
        repeat_page: None,
        drop: None,
        details_state: Vec::new(),
        error: None,
        iam_token: None,
        json_escaped: Vec::new(),
        signature_echo: None,
        renewal: None,
    }
}

impl Case {
    /// The verdict the truth gives each job.
    pub fn truth_verdicts(&self) -> Vec<Verdict> {
        self.truth
            .iter()
            .map(|builds| oracle::judge(builds, &self.rules))
            .collect()
    }

    /// The run's verdict on the truth: the worst job's.
    pub fn truth_verdict(&self) -> Verdict {
        self.truth_verdicts()
            .into_iter()
            .max()
            .unwrap_or(Verdict::Pass)
    }

    pub fn expectation(&self) -> (Expect, bool) {
        lies::combine(&self.lies)
    }

    pub fn classes(&self) -> Vec<LieClass> {
        self.lies.iter().map(|l| l.class).collect()
    }
}
