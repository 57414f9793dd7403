package org.twiliocrm.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP listener on a given port that forwards every connection to another address: a database that
 * "appears" at a port only when {@link #open} is called. Before that, connections to the port are
 * refused by the operating system, as they are while a database container is still starting.
 */
public final class TcpForwarder implements AutoCloseable {
  private final ServerSocket server;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();

  private TcpForwarder(ServerSocket server, String targetHost, int targetPort) {
    this.server = server;
    Thread accept =
        new Thread(
            () -> {
              while (!server.isClosed()) {
                try {
                  Socket in = server.accept();
                  Socket out = new Socket(targetHost, targetPort);
                  sockets.add(in);
                  sockets.add(out);
                  pipe(in, out);
                  pipe(out, in);
                } catch (IOException e) {
                  // closed, or the target refused: the client sees its socket close
                }
              }
            },
            "tcp-forwarder-accept");
    accept.setDaemon(true);
    accept.start();
  }

  /** Starts listening on 127.0.0.1:port, forwarding to targetHost:targetPort. */
  public static TcpForwarder open(int port, String targetHost, int targetPort) throws IOException {
    ServerSocket s = new ServerSocket();
    s.setReuseAddress(true);
    s.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    return new TcpForwarder(s, targetHost, targetPort);
  }

  private void pipe(Socket from, Socket to) {
    Thread t =
        new Thread(
            () -> {
              try (InputStream in = from.getInputStream();
                  OutputStream out = to.getOutputStream()) {
                in.transferTo(out);
              } catch (IOException e) {
                // one side closed
              } finally {
                closeQuietly(from);
                closeQuietly(to);
              }
            },
            "tcp-forwarder-pipe");
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // already closed
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    sockets.forEach(TcpForwarder::closeQuietly);
  }
}
