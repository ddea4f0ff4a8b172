// Graceful drain of a node:http server. Node's own server.close() also closes every "idle"
// connection at once, and a connection the server has accepted but whose request it has not read
// yet (the event loop is busy serving a burst) counts as idle: its client gets a reset although
// it sent a complete request. Here, instead:
// - the listener closes (no new connections), nothing else is cut;
// - responses from now on say `Connection: close`, and a keep-alive connection is ended (FIN, not
//   reset) once it has answered and is idle;
// - a connection that has sent nothing is left quietMs to do so before it is ended (while the
//   loop is busy with a burst, a request can sit unread in the kernel for seconds).
import net from 'node:net';
import type { Server } from 'node:http';

const ACCEPT_GRACE_MS = 100;

interface Tracked {
  active: number;
  served: number;
}

export function connectionDrainer(server: Server, quietMs: number) {
  const sockets = new Map<net.Socket, Tracked>();
  let draining = false;
  let drainStartedAt = 0;

  const sweep = () => {
    if (!draining) return;
    const quiet = Date.now() - Math.max(drainStartedAt, 0) > quietMs;
    for (const [socket, t] of sockets) {
      if (t.active === 0 && (t.served > 0 || (quiet && socket.bytesRead === 0))) socket.end();
    }
  };

  let accepted = 0;
  server.on('connection', (socket: net.Socket) => {
    accepted++;
    sockets.set(socket, { active: 0, served: 0 });
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('request', (req, res) => {
    const t = sockets.get(req.socket);
    if (t) t.active++;
    if (draining && !res.headersSent) res.setHeader('connection', 'close');
    res.once('close', () => {
      if (t) {
        t.active--;
        t.served++;
      }
      sweep();
    });
  });

  return {
    /** Resolves once the listener is closed and every connection has ended. */
    async drain() {
      draining = true;
      drainStartedAt = Date.now();
      // Connections the kernel completed but the loop has not accepted yet would be reset by
      // closing the listener now: give the loop a few turns (a busy loop takes one per burst).
      await new Promise((resolve) => setTimeout(resolve, ACCEPT_GRACE_MS));
      // A timer fires before the loop's poll phase, where libuv accepts: closing right away would
      // still reset what the kernel queued meanwhile. setImmediate runs after that poll phase, so
      // turn the loop until one whole turn accepted nothing: the backlog is empty.
      for (let before = -1; before !== accepted; ) {
        before = accepted;
        await new Promise((resolve) => setImmediate(resolve));
      }
      // net.Server's close, not http.Server's: the latter would reset not-yet-read connections.
      const closed = new Promise<void>((resolve) => net.Server.prototype.close.call(server, () => resolve()));
      const timer = setInterval(sweep, 100);
      sweep();
      await closed;
      clearInterval(timer);
    },
  };
}
