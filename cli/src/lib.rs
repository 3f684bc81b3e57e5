//! `zstack cli`: every API of a node by its ZStack name (`CreateZone name=z1`), over the REST
//! API only, driven by the metadata the node serves. One command from the arguments, commands
//! one per line from a file or a pipe, or an interactive prompt with Tab completion.

mod command;
mod complete;
mod metadata;
mod output;
mod session;

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use serde_json::{Value, json};

pub use command::{Request, split_words};
pub use complete::candidates;
pub use metadata::Metadata;
use output::Format;
use session::Session;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("cannot reach the node at {url}: {why}")]
    Unreachable { url: String, why: String },
    #[error("the node's API metadata is not understood: {0}")]
    Metadata(String),
    #[error("no API named {name}{}", did_you_mean(.nearest))]
    UnknownApi { name: String, nearest: Vec<String> },
    #[error("{api} has no parameter {param}{}", did_you_mean(.nearest))]
    UnknownParam {
        api: String,
        param: String,
        nearest: Vec<String>,
    },
    #[error("{path}: {resource} has no field or relation {name}{}", did_you_mean(.nearest))]
    UnknownField {
        path: String,
        name: String,
        resource: String,
        nearest: Vec<String>,
    },
    #[error("{api}: parameter {param}: {why}")]
    BadValue {
        api: String,
        param: String,
        why: String,
    },
    #[error("{0}")]
    Usage(String),
    /// The node answered with an error (printed as the node sent it).
    #[error("{0}")]
    Api(String),
    #[error(
        "stopped waiting; the job goes on. Poll it with: curl -H 'Authorization: OAuth <session>' {0}"
    )]
    Interrupted(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

fn did_you_mean(nearest: &[String]) -> String {
    if nearest.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", nearest.join(", "))
    }
}

/// `zstack cli [options] [API key=value ...]`.
#[derive(Debug, clap::Args)]
pub struct CliArgs {
    /// The node's REST endpoint.
    #[arg(long, env = "ZSTACK_URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// How replies are printed.
    #[arg(short = 'o', long = "output", value_enum, default_value = "json")]
    pub output: Format,
    /// With `-o table`: the columns, comma-separated.
    #[arg(long)]
    pub columns: Option<String>,
    /// Async APIs: print the job's location and return instead of waiting.
    #[arg(long)]
    pub no_wait: bool,
    /// Commands from a file or a pipe: go on after a failed command.
    #[arg(long)]
    pub keep_going: bool,
    /// Run the commands in this file, one per line.
    #[arg(short = 'f', long = "file")]
    pub file: Option<PathBuf>,
    /// An API name and its `key=value` arguments; none: read commands (a prompt on a terminal).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

struct Cli {
    args: CliArgs,
    http: reqwest::Client,
    meta: Metadata,
    session: Session,
    color: bool,
}

pub fn run(args: CliArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("zstack cli: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run_async(args))
}

async fn run_async(args: CliArgs) -> ExitCode {
    let url = args.url.trim_end_matches('/').to_string();
    let http = match reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
    {
        Ok(h) => h,
        Err(e) => return fail(&CliError::Usage(e.to_string())),
    };
    let meta = match fetch_metadata(&http, &url).await {
        Ok(m) => m,
        Err(e) => return fail(&e),
    };
    let color = std::io::stdout().is_terminal();
    let mut cli = Cli {
        session: Session::load(&url),
        args: CliArgs { url, ..args },
        http,
        meta,
        color,
    };
    if !cli.args.command.is_empty() {
        let words = std::mem::take(&mut cli.args.command);
        return match cli.execute(&words).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(&e),
        };
    }
    if let Some(file) = cli.args.file.clone() {
        return match std::fs::File::open(&file) {
            Ok(f) => cli.script(std::io::BufReader::new(f)).await,
            Err(e) => fail(&CliError::Usage(format!("{}: {e}", file.display()))),
        };
    }
    if std::io::stdin().is_terminal() {
        cli.interactive().await
    } else {
        cli.script(std::io::stdin().lock()).await
    }
}

fn fail(e: &CliError) -> ExitCode {
    eprintln!("{e}");
    ExitCode::FAILURE
}

async fn fetch_metadata(http: &reqwest::Client, url: &str) -> Result<Metadata, CliError> {
    let unreachable = |why: String| CliError::Unreachable {
        url: url.to_string(),
        why,
    };
    let rsp = http
        .get(format!("{url}/zstack/v1/api-metadata"))
        .send()
        .await
        .map_err(|e| unreachable(e.to_string()))?;
    if !rsp.status().is_success() {
        return Err(unreachable(format!(
            "api-metadata answered {}",
            rsp.status()
        )));
    }
    let doc: Value = rsp.json().await.map_err(|e| unreachable(e.to_string()))?;
    Metadata::parse(&doc)
}

fn stdout_line(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", text.trim_end_matches('\n'))?;
    out.flush()?;
    Ok(())
}

impl Cli {
    async fn script(&mut self, input: impl BufRead) -> ExitCode {
        let mut failed = false;
        for line in input.lines() {
            let line = match line {
                Ok(l) => l,
                Err(e) => return fail(&e.into()),
            };
            let words = match split_words(&line) {
                Ok(w) => w,
                Err(e) => {
                    failed = true;
                    eprintln!("{e}");
                    if self.args.keep_going {
                        continue;
                    }
                    break;
                }
            };
            if words.is_empty() || words[0].starts_with('#') {
                continue;
            }
            if let Err(e) = self.execute(&words).await {
                failed = true;
                eprintln!("{e}");
                if matches!(e, CliError::Interrupted(_)) || !self.args.keep_going {
                    break;
                }
            }
        }
        if failed {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        }
    }

    async fn interactive(&mut self) -> ExitCode {
        use rustyline::error::ReadlineError;
        let config = rustyline::Config::builder()
            .completion_type(rustyline::CompletionType::List)
            .completion_prompt_limit(1000)
            .auto_add_history(true)
            .max_history_size(5000)
            .map(|b| b.build());
        let config = match config {
            Ok(c) => c,
            Err(e) => return fail(&CliError::Usage(e.to_string())),
        };
        let mut editor: rustyline::Editor<complete::CliHelper, rustyline::history::FileHistory> =
            match rustyline::Editor::with_config(config) {
                Ok(e) => e,
                Err(e) => return fail(&CliError::Usage(e.to_string())),
            };
        editor.set_helper(Some(complete::CliHelper {
            meta: self.meta.clone(),
        }));
        let history = session::config_dir().map(|d| d.join("history"));
        if let Some(h) = &history {
            let _ = editor.load_history(h);
        }
        let mut last_failed = false;
        loop {
            let line = match editor.readline("zstack> ") {
                Ok(line) => line,
                Err(ReadlineError::Interrupted) => continue,
                Err(ReadlineError::Eof) => break,
                Err(e) => {
                    eprintln!("{e}");
                    last_failed = true;
                    break;
                }
            };
            let words = match split_words(&line) {
                Ok(w) => w,
                Err(e) => {
                    eprintln!("{e}");
                    continue;
                }
            };
            match words.first().map(String::as_str) {
                None => continue,
                Some("exit" | "quit") => break,
                Some(_) => {}
            }
            last_failed = match self.execute(&words).await {
                Ok(()) => false,
                Err(e) => {
                    eprintln!("{e}");
                    true
                }
            };
            if let Some(h) = &history {
                session::ensure_dir();
                let _ = editor.save_history(h);
            }
        }
        if last_failed {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        }
    }

    /// Runs one command: `words[0]` is the API name.
    async fn execute(&mut self, words: &[String]) -> Result<(), CliError> {
        let Some((name, rest)) = words.split_first() else {
            return Ok(());
        };
        let api = self.meta.api(name)?.clone();
        let request = command::build(&self.meta, &api, rest, self.session.uuid.as_deref())?;
        let rsp = self.send(&request, api.session).await?;
        let status = rsp.status().as_u16();
        let body: Value = rsp.json().await.unwrap_or(Value::Null);
        let body = match status {
            200 => body,
            202 => {
                let location = body["location"].as_str().unwrap_or_default().to_string();
                if self.args.no_wait {
                    return self.print(&json!({ "location": location }));
                }
                self.wait(&location).await?
            }
            _ => return Err(self.api_error(&body, status)),
        };
        if api.name.starts_with("LogIn")
            && let Some(uuid) = body["inventory"]["uuid"].as_str()
        {
            self.session.save(uuid)?;
        }
        if api.name == "LogOut" {
            self.session.clear()?;
        }
        self.print(&body)
    }

    fn api_error(&self, body: &Value, status: u16) -> CliError {
        if body.get("error").is_some() {
            CliError::Api(output::json(body, false))
        } else {
            CliError::Api(format!("the node answered HTTP {status}"))
        }
    }

    async fn send(
        &self,
        request: &Request,
        with_session: bool,
    ) -> Result<reqwest::Response, CliError> {
        let url = format!("{}{}", self.args.url, request.target());
        let method = reqwest::Method::from_bytes(request.method.as_bytes())
            .map_err(|e| CliError::Usage(e.to_string()))?;
        let mut req = self.http.request(method, url);
        if with_session && let Some(uuid) = &self.session.uuid {
            req = req.header("Authorization", format!("OAuth {uuid}"));
        }
        if let Some(body) = &request.body {
            req = req.json(body);
        }
        req.send().await.map_err(|e| CliError::Unreachable {
            url: self.args.url.clone(),
            why: e.to_string(),
        })
    }

    async fn get(&self, url: &str) -> Result<(u16, Value), CliError> {
        let mut req = self.http.get(url);
        if let Some(uuid) = &self.session.uuid {
            req = req.header("Authorization", format!("OAuth {uuid}"));
        }
        let rsp = req.send().await.map_err(|e| CliError::Unreachable {
            url: self.args.url.clone(),
            why: e.to_string(),
        })?;
        let status = rsp.status().as_u16();
        Ok((status, rsp.json().await.unwrap_or(Value::Null)))
    }

    /// Polls a job until it ends; on a terminal a progress bar shows what the job reports.
    /// Ctrl-C stops waiting, not the job.
    async fn wait(&self, location: &str) -> Result<Value, CliError> {
        let api_id = location.rsplit('/').next().unwrap_or_default().to_string();
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_message(format!("waiting for job {api_id}"));
            bar
        });
        let interrupted = tokio::signal::ctrl_c();
        tokio::pin!(interrupted);
        let mut pause = Duration::from_millis(100);
        let result = loop {
            tokio::select! {
                _ = &mut interrupted => break Err(CliError::Interrupted(location.to_string())),
                _ = tokio::time::sleep(pause) => {}
            }
            pause = (pause * 2).min(Duration::from_secs(1));
            let (status, body) = self.get(location).await?;
            match status {
                202 => {
                    if let Some(bar) = &bar {
                        self.show_progress(bar, &api_id).await;
                    }
                }
                200 => break Ok(body),
                _ => break Err(self.api_error(&body, status)),
            }
        };
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        result
    }

    async fn show_progress(&self, bar: &indicatif::ProgressBar, api_id: &str) {
        let url = format!("{}/zstack/v1/task-progresses/{api_id}", self.args.url);
        let Ok((200, body)) = self.get(&url).await else {
            return;
        };
        let mut stages = Vec::new();
        let mut at = &body["inventories"][0];
        let mut steps = None;
        // Stages (Task entries) name what the job is doing; a Progress entry counts steps, or
        // gives a percentage.
        while at.is_object() {
            let content = at["content"].as_str().unwrap_or_default();
            if let (Some(cur), Some(total)) =
                (at["currentStep"].as_u64(), at["totalSteps"].as_u64())
            {
                steps = Some((cur, total));
            } else if at["type"] == "Progress" {
                stages.push(format!("{content}%"));
            } else {
                stages.push(content.to_string());
            }
            at = &at["subTasks"][0];
        }
        if let Some((current, total)) = steps {
            if bar.length() != Some(total) {
                bar.set_style(
                    indicatif::ProgressStyle::with_template("[{bar:30}] {pos}/{len} {msg}")
                        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                bar.set_length(total);
            }
            bar.set_position(current);
        } else {
            bar.tick();
        }
        if !stages.is_empty() {
            bar.set_message(stages.join(" > "));
        }
    }

    fn print(&self, body: &Value) -> Result<(), CliError> {
        // The `schema` map is for SDKs re-typing replies; people read the inventories.
        let mut body = body.clone();
        if let Some(map) = body.as_object_mut() {
            map.remove("schema");
        }
        let body = &body;
        let columns: Vec<String> = self
            .args
            .columns
            .as_deref()
            .map(|c| c.split(',').map(str::to_string).collect())
            .unwrap_or_default();
        let text = match self.args.output {
            Format::Json => output::json(body, self.color),
            Format::Yaml => output::yaml(body),
            Format::Table => {
                output::table(body, &columns).unwrap_or_else(|| output::json(body, self.color))
            }
        };
        stdout_line(&text)
    }
}
