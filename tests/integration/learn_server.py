"""An inbound-only HTTP server for tests/integration/learn.sh: listens on 127.0.0.1:PORT,
answers exactly one request, prints what it served and exits. It resolves nothing and
connects nowhere (socketserver.TCPServer, not http.server.HTTPServer, whose server_bind calls
getfqdn(): a DNS lookup)."""
import http.server
import socketserver
import sys

port = int(sys.argv[1])


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"ok\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        print(f"served GET {self.path}", flush=True)

    def log_message(self, fmt, *args):
        pass


socketserver.TCPServer.allow_reuse_address = True
with socketserver.TCPServer(("127.0.0.1", port), Handler) as srv:
    print(f"listening on 127.0.0.1:{port}", flush=True)
    srv.handle_request()
