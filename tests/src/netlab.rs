//! Real network plumbing for tests and benchmarks: Linux network
//! namespaces joined by veth pairs, with nftables for NAT and for dropping
//! traffic. Needs root and the `ip`, `nft` and `tc` tools (`scripts/net-test.sh`
//! installs them; CI runs as root). Everything a lab creates is removed
//! when it is dropped: deleting a namespace deletes its interfaces.

use std::ffi::OsStr;
use std::net::Ipv4Addr;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};

static LABS: AtomicUsize = AtomicUsize::new(0);

/// Fails the test, naming what is missing, unless the lab can be built.
pub fn require_lab_tools() {
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.trim_ascii() == b"0");
    let tool = |name: &str| {
        std::process::Command::new(name)
            .arg("-V")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
    };
    let missing: Vec<&str> = [
        (root, "root (network namespaces)"),
        (tool("ip"), "ip (iproute2)"),
        (tool("nft"), "nft (nftables)"),
        (tool("tc"), "tc (iproute2)"),
    ]
    .into_iter()
    .filter_map(|(ok, what)| (!ok).then_some(what))
    .collect();
    assert!(
        missing.is_empty(),
        "network tests need {missing:?}: run them through scripts/net-test.sh as root \
         (it installs iproute2 and nftables)"
    );
}

/// Runs a command to completion, failing the test with its output if it fails.
fn run(program: &str, args: &[&str], stdin: Option<&str>) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{program} {args:?}: {e}"));
    let mut input = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).expect("write stdin");
    }
    drop(input);
    let out = child.wait_with_output().expect("command output");
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A set of namespaces that live and die together.
pub struct Lab {
    id: String,
    namespaces: Vec<String>,
}

/// One network namespace of a lab.
#[derive(Debug, Clone)]
pub struct Netns {
    pub name: String,
}

impl Lab {
    pub fn new() -> Lab {
        require_lab_tools();
        let n = LABS.fetch_add(1, Ordering::Relaxed);
        Lab {
            id: format!("bo{}x{n}", std::process::id()),
            namespaces: Vec::new(),
        }
    }

    /// A new namespace with its loopback up.
    pub fn namespace(&mut self, role: &str) -> Netns {
        let name = format!("{}-{role}", self.id);
        run("ip", &["netns", "add", &name], None);
        self.namespaces.push(name.clone());
        let ns = Netns { name };
        ns.ip(&["link", "set", "lo", "up"]);
        ns
    }

    /// A veth pair between two namespaces, each end named `if_a`/`if_b`
    /// there, with the given addresses (`10.0.0.1/24`), up.
    pub fn link(&self, a: &Netns, if_a: &str, addr_a: &str, b: &Netns, if_b: &str, addr_b: &str) {
        run(
            "ip",
            &[
                "link", "add", if_a, "netns", &a.name, "type", "veth", "peer", "name", if_b,
                "netns", &b.name,
            ],
            None,
        );
        for (ns, name, addr) in [(a, if_a, addr_a), (b, if_b, addr_b)] {
            ns.ip(&["addr", "add", addr, "dev", name]);
            ns.ip(&["link", "set", name, "up"]);
        }
    }
}

impl Default for Lab {
    fn default() -> Self {
        Lab::new()
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for name in self.namespaces.drain(..) {
            // Processes still inside keep it alive only until they exit.
            let _ = std::process::Command::new("ip")
                .args(["netns", "del", &name])
                .status();
        }
    }
}

impl Netns {
    /// `ip <args>` inside this namespace.
    pub fn ip(&self, args: &[&str]) -> String {
        let mut all = vec!["netns", "exec", &self.name, "ip"];
        all.extend_from_slice(args);
        run("ip", &all, None)
    }

    /// Any program inside this namespace, to completion.
    pub fn exec(&self, program: &str, args: &[&str]) -> String {
        let mut all = vec!["netns", "exec", &self.name, program];
        all.extend_from_slice(args);
        run("ip", &all, None)
    }

    /// Loads an nftables ruleset (`nft -f -`) in this namespace.
    pub fn nft(&self, ruleset: &str) {
        run(
            "ip",
            &["netns", "exec", &self.name, "nft", "-f", "-"],
            Some(ruleset),
        );
    }

    /// A long-running process inside this namespace.
    pub fn command(&self, program: impl AsRef<OsStr>) -> tokio::process::Command {
        let mut command = tokio::process::Command::new("ip");
        command.args(["netns", "exec", &self.name]).arg(program);
        command
    }

    /// UDP sockets open in this namespace, as `ss -uanp` lists them.
    pub fn udp_sockets(&self) -> Vec<String> {
        self.exec("ss", &["-H", "-uanp"])
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

/// A server behind a 1:1 NAT, the way a cloud VM sits behind its public
/// address, and a client network on the "internet" side:
///
/// ```text
///  server ns 10.77.1.2 ── 10.77.1.1  router ns  198.51.100.1 ── 198.51.100.10 clients ns
///                                              203.0.113.1  ── 203.0.113.10  office ns
/// ```
///
/// The router forwards the public address's HTTP and media ports to the
/// server and masquerades what the server sends; the clients have no route
/// to the private network, and the router keeps the office from it (and
/// the server from starting flows to the office), so only the public
/// address can work for either.
/// [`crate::impair`] adds loss, delay, jitter and rate caps on the office's
/// link.
pub struct NatLab {
    pub server: Netns,
    pub router: Netns,
    pub clients: Netns,
    /// A second network on the internet side, with a default route through
    /// the router: a company or hotel network whose own firewall a test
    /// may tighten without touching [`NatLab::clients`].
    pub office: Netns,
    /// The forwarded ports, as given to [`NatLab::new`].
    pub(crate) tcp_ports: Vec<u16>,
    pub(crate) udp_ports: Vec<u16>,
    _lab: Lab,
}

impl NatLab {
    pub const PRIVATE_IP: Ipv4Addr = Ipv4Addr::new(10, 77, 1, 2);
    pub const PUBLIC_IP: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);
    pub const CLIENT_IP: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 10);
    pub const OFFICE_IP: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 10);

    /// Forwards these TCP and UDP ports of the public address to the server.
    pub fn new(tcp_ports: &[u16], udp_ports: &[u16]) -> NatLab {
        let mut lab = Lab::new();
        let server = lab.namespace("srv");
        let router = lab.namespace("nat");
        let clients = lab.namespace("cli");
        let office = lab.namespace("off");
        lab.link(
            &server,
            "eth0",
            "10.77.1.2/24",
            &router,
            "lan0",
            "10.77.1.1/24",
        );
        lab.link(
            &router,
            "wan0",
            "198.51.100.1/24",
            &clients,
            "eth0",
            "198.51.100.10/24",
        );
        lab.link(
            &router,
            "wan1",
            "203.0.113.1/24",
            &office,
            "eth0",
            "203.0.113.10/24",
        );
        server.ip(&["route", "add", "default", "via", "10.77.1.1"]);
        office.ip(&["route", "add", "default", "via", "203.0.113.1"]);
        router.exec("sysctl", &["-q", "-w", "net.ipv4.ip_forward=1"]);
        let ports = |ports: &[u16]| {
            let list: Vec<String> = ports.iter().map(u16::to_string).collect();
            format!("{{ {} }}", list.join(", "))
        };
        router.nft(&format!(
            "table ip nat {{
                chain prerouting {{
                    type nat hook prerouting priority dstnat;
                    iifname {{ \"wan0\", \"wan1\" }} tcp dport {tcp} dnat to {private}
                    iifname {{ \"wan0\", \"wan1\" }} udp dport {udp} dnat to {private}
                }}
                chain postrouting {{
                    type nat hook postrouting priority srcnat;
                    oifname \"wan0\" masquerade
                }}
            }}",
            tcp = ports(tcp_ports),
            udp = ports(udp_ports),
            private = Self::PRIVATE_IP,
        ));
        // The office has a default route through the router, which would
        // otherwise reach the private network directly (and let the
        // server's ICE checks reach the office's own address): only the
        // port forwards' flows cross between them.
        router.nft(&format!(
            "table ip lab {{
                chain forward {{
                    type filter hook forward priority filter;
                    ct status dnat accept
                    iifname \"wan1\" ip daddr {private_net} drop
                    oifname \"wan1\" ip saddr {private_net} drop
                }}
            }}",
            private_net = "10.77.1.0/24",
        ));
        NatLab {
            server,
            router,
            clients,
            office,
            tcp_ports: tcp_ports.to_vec(),
            udp_ports: udp_ports.to_vec(),
            _lab: lab,
        }
    }
}
