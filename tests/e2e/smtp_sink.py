"""A mail sink on 127.0.0.1 for the window tests: enough SMTP (EHLO, AUTH PLAIN, MAIL, RCPT, DATA,
QUIT) for the console's real client to deliver to it; it keeps what it received."""

import base64
import socketserver
import threading


class SmtpSink:
    def __init__(self):
        self.messages = []
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                self.wfile.write(b"220 sink ESMTP\r\n")
                message = {"auth": None, "to": [], "data": ""}
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    command = line.decode(errors="replace").rstrip("\r\n")
                    upper = command.upper()
                    if upper.startswith(("EHLO", "HELO")):
                        self.wfile.write(b"250-sink\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n")
                    elif upper.startswith("AUTH PLAIN "):
                        parts = base64.b64decode(command[11:].strip()).split(b"\0")
                        message["auth"] = (parts[1].decode(), parts[2].decode())
                        self.wfile.write(b"235 accepted\r\n")
                    elif upper.startswith("MAIL FROM:"):
                        message["from"] = command[10:].strip()
                        self.wfile.write(b"250 ok\r\n")
                    elif upper.startswith("RCPT TO:"):
                        message["to"].append(command[8:].strip())
                        self.wfile.write(b"250 ok\r\n")
                    elif upper == "DATA":
                        self.wfile.write(b"354 go on\r\n")
                        data = []
                        while True:
                            body = self.rfile.readline()
                            if body in (b".\r\n", b".\n", b""):
                                break
                            data.append(body[1:] if body.startswith(b"..") else body)
                        message["data"] = b"".join(data).decode(errors="replace")
                        sink.messages.append(dict(message))
                        self.wfile.write(b"250 queued\r\n")
                    elif upper == "QUIT":
                        self.wfile.write(b"221 bye\r\n")
                        return
                    else:
                        self.wfile.write(b"250 ok\r\n")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
