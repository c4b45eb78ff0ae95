//! The contract as TypeScript: the shell's own types, one typed function per
//! command (invoke with exactly the command's argument names) and one typed
//! listener per event. Wire types are imported from ui/src/generated, which
//! breakout-protocol's bindings fill.

use std::collections::BTreeSet;

use ts_rs::{Config, TS, TypeVisitor};

use breakout_client::media::{ScreenSource, ScreenTarget};
use breakout_client::{Banner, BannerKind, ClientView, Toast};

use crate::IpcError;
use crate::ipc::{
    ConnectionState, Device, DeviceKind, Devices, Joined, MediaPhase, MediaStatus, SpeakingEvent,
};
use crate::memory::{RecentJoin, StartMemory};

/// Where the generated file lives, relative to src-tauri/.
pub const OUTPUT: &str = "../ui/src/lib/shell.generated.ts";

pub(crate) struct CommandSig {
    pub name: &'static str,
    pub docs: &'static [&'static str],
    pub args: Vec<(&'static str, String)>,
    pub returns: String,
    pub dependencies: Vec<String>,
}

pub(crate) struct EventSig {
    pub listener: &'static str,
    pub event: &'static str,
    pub docs: &'static [&'static str],
    pub payload: String,
    pub dependencies: Vec<String>,
}

/// The named types `T` may refer to, its type arguments' included; the
/// file imports those of them it mentions.
pub(crate) fn named<T: TS + 'static>(cfg: &Config) -> Vec<String> {
    struct Names<'a> {
        cfg: &'a Config,
        names: Vec<String>,
    }
    impl TypeVisitor for Names<'_> {
        fn visit<U: TS + 'static + ?Sized>(&mut self) {
            if U::output_path().is_some() {
                self.names.push(U::ident(self.cfg));
            }
            U::visit_generics(self);
        }
    }
    let mut names = Names {
        cfg,
        names: Vec::new(),
    };
    names.visit::<T>();
    T::visit_dependencies(&mut names);
    names.names
}

/// Whether `word` occurs in `text` as a whole identifier.
fn mentions(text: &str, word: &str) -> bool {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .any(|w| w == word)
}

/// The shell's own types, declared in the generated file.
fn declarations(cfg: &Config) -> Vec<(String, String)> {
    fn decl<T: TS>(cfg: &Config) -> (String, String) {
        let docs = T::docs().unwrap_or_default();
        (T::ident(cfg), format!("{docs}export {}", T::decl(cfg)))
    }
    vec![
        decl::<IpcError>(cfg),
        decl::<Joined>(cfg),
        decl::<Device>(cfg),
        decl::<Devices>(cfg),
        decl::<DeviceKind>(cfg),
        decl::<ConnectionState>(cfg),
        decl::<SpeakingEvent>(cfg),
        decl::<MediaPhase>(cfg),
        decl::<MediaStatus>(cfg),
        decl::<RecentJoin>(cfg),
        decl::<StartMemory>(cfg),
        decl::<BannerKind>(cfg),
        decl::<Banner>(cfg),
        decl::<Toast>(cfg),
        decl::<ClientView>(cfg),
        decl::<ScreenSource>(cfg),
        decl::<ScreenTarget>(cfg),
    ]
}

fn doc_comment(lines: &[&str], indent: &str) -> String {
    match lines {
        [] => String::new(),
        lines => {
            let body: Vec<String> = lines.iter().map(|l| format!("{indent} *{l}")).collect();
            format!("{indent}/**\n{}\n{indent} */\n", body.join("\n"))
        }
    }
}

fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The whole generated file.
pub fn typescript() -> String {
    // Ids and timestamps are u64 on the wire but JSON numbers in the webview,
    // as in breakout-protocol's bindings.
    let cfg = Config::new().with_large_int("number");
    let decls = declarations(&cfg);
    let commands = super::commands(&cfg);
    let events = super::events(&cfg);

    let local: BTreeSet<&str> = decls.iter().map(|(name, _)| name.as_str()).collect();
    let mut candidates: BTreeSet<String> = commands
        .iter()
        .flat_map(|c| c.dependencies.iter().cloned())
        .chain(events.iter().flat_map(|e| e.dependencies.iter().cloned()))
        .collect();
    // The local declarations refer to wire types too (a video slot).
    candidates.extend(named::<MediaStatus>(&cfg));

    let mut out = String::new();
    for (_, decl) in &decls {
        out.push('\n');
        out.push_str(decl);
        out.push('\n');
    }

    out.push_str("\n/** The shell's commands; each rejects with an `IpcError`. */\nexport const commands = {\n");
    for c in &commands {
        out.push_str(&doc_comment(c.docs, "  "));
        let name = c.name;
        // Tauri resolves a command without an answer with null; callers
        // treat it as nothing.
        let returns = if c.returns == "null" {
            "void"
        } else {
            c.returns.as_str()
        };
        if c.args.is_empty() {
            out.push_str(&format!(
                "  {name}: (): Promise<{returns}> => invoke<{returns}>(\"{name}\"),\n"
            ));
        } else {
            let fields: Vec<String> = c.args.iter().map(|(n, t)| format!("{n}: {t}")).collect();
            out.push_str(&format!(
                "  {name}: (args: {{ {} }}): Promise<{returns}> => invoke<{returns}>(\"{name}\", args),\n",
                fields.join("; ")
            ));
        }
    }
    out.push_str("};\n\n/** The shell's events, to every window. */\nexport const events = {\n");
    for e in &events {
        out.push_str(&doc_comment(e.docs, "  "));
        let payload = &e.payload;
        out.push_str(&format!(
            "  {}: (handler: (payload: {payload}) => void): Promise<UnlistenFn> =>\n    listen<{payload}>(\"{}\", (e) => handler(e.payload)),\n",
            camel(e.listener),
            e.event
        ));
    }
    out.push_str("};\n");

    let wire: Vec<&str> = candidates
        .iter()
        .map(String::as_str)
        .filter(|name| !local.contains(name) && mentions(&out, name))
        .collect();
    format!(
        "// Generated from src-tauri/src/contract.rs by the export_shell_bindings test\n\
         // (`cargo test --workspace --features breakout-protocol/ts,breakout-app/ts\n\
         // --test export_shell_bindings`). Do not edit.\n\n\
         import {{ invoke }} from \"@tauri-apps/api/core\";\n\
         import {{ listen, type UnlistenFn }} from \"@tauri-apps/api/event\";\n\
         import type {{ {} }} from \"../generated\";\n{out}",
        wire.join(", ")
    )
}
