//! The rules of tuning and generation, once: limits and defaults, the step arithmetic, tuning
//! settings and their validation, job progress, generation settings and evaluation scoring.
//! Pure and backend-neutral (it depends on `api` types only: no terminal, no runtime, no HTTP
//! server), so the dashboard, the headless commands and the emulator share one home per rule.
//! Problems are values (`TuningProblem`, `RequestProblem`); each front end words them itself,
//! the dashboard with its keys and the CLI with its flags.

pub mod generation;
pub mod job_plan;
pub mod limits;
pub mod models;
pub mod preference;
pub mod progress;
pub mod rebase;
pub mod regions;
pub mod token_count;
pub mod tuning;
pub mod vertex;
pub mod vertex_methods;
pub mod words;
