//! Memory and CPU of a process and its descendants, from /proc. The app is
//! a Rust process plus WebKit's web and network processes it spawns; all of
//! them are what the user's machine pays for.

use std::collections::HashMap;

/// A process: pid, name, resident memory (KiB), CPU time so far (ticks).
#[derive(Debug, Clone)]
pub struct Proc {
    pub pid: u32,
    pub name: String,
    pub rss_kib: u64,
    /// Proportional set size: pages shared with other processes (WebKit's
    /// libraries, mapped by all three) count as their share only, so the
    /// sum over processes is what they take together.
    pub pss_kib: u64,
    pub cpu_ticks: u64,
}

/// Every process whose `comm` is `name`, below `root` (inclusive).
pub fn find(root: u32, name: &str) -> Vec<u32> {
    tree(root)
        .into_iter()
        .filter(|p| p.name == name)
        .map(|p| p.pid)
        .collect()
}

/// `root` and all its descendants, as they are now.
pub fn tree(root: u32) -> Vec<Proc> {
    let all = all();
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for (pid, (ppid, _)) in &all {
        children.entry(*ppid).or_default().push(*pid);
    }
    let mut out = Vec::new();
    let mut todo = vec![root];
    while let Some(pid) = todo.pop() {
        if let Some((_, proc)) = all.get(&pid) {
            out.push(proc.clone());
        }
        todo.extend(children.get(&pid).into_iter().flatten());
    }
    out
}

/// Clock ticks per second for `cpu_ticks` (USER_HZ, 100 on Linux).
pub fn ticks_per_second() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100)
}

fn all() -> HashMap<u32, (u32, Proc)> {
    let mut out = HashMap::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return out;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if let Some(parsed) = read(pid) {
            out.insert(pid, parsed);
        }
    }
    out
}

/// (ppid, Proc) from /proc/<pid>/stat and status.
fn read(pid: u32) -> Option<(u32, Proc)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The name is in parentheses and may hold spaces: split after the last ')'.
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let name = stat[open + 1..close].to_string();
    let fields: Vec<&str> = stat[close + 2..].split_whitespace().collect();
    // Fields after the name start at 3 (state); ppid is 4, utime 14, stime 15.
    let ppid = fields.get(1)?.parse().ok()?;
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss_kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    let pss_kib = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .ok()
        .and_then(|rollup| {
            rollup
                .lines()
                .find_map(|l| l.strip_prefix("Pss:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(rss_kib);
    Some((
        ppid,
        Proc {
            pid,
            name,
            rss_kib,
            pss_kib,
            cpu_ticks: utime + stime,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_its_own_tree() {
        let me = std::process::id();
        let tree = tree(me);
        let this = tree.iter().find(|p| p.pid == me).expect("found");
        assert!(this.rss_kib > 0);
        assert!(this.pss_kib > 0 && this.pss_kib <= this.rss_kib);
    }
}
