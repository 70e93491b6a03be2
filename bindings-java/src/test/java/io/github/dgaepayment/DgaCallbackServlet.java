package io.github.dgaepayment;

import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;

/** The README's jakarta.servlet servlet, compiled against the Servlet API (ReadmeTest checks the copy). */
// README: servlet begin
@WebServlet("/dga-callback")
public class DgaCallbackServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private static final int MAX_BODY = 64 * 1024;
    private DgaClient client;

    @Override
    public void init() {
        client = DgaClient.fromEnv();
    }

    @Override
    protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        byte[] body = readAtMost(req.getInputStream(), MAX_BODY);
        CallbackReply reply = body == null
                ? DgaCallback.tooLarge(MAX_BODY)
                : client.handleCallback(body, status -> Payments.markPaid(status)); // JDBC; may throw
        resp.setStatus(reply.getHttpStatus());
        resp.setContentType(reply.getContentType());
        resp.getOutputStream().write(reply.getBodyBytes());
    }

    @Override
    public void destroy() {
        client.close();
    }

    private static byte[] readAtMost(InputStream in, int limit) throws IOException {
        return CallbackEndpointTest.readAtMost(in, limit);
    }
}
// README: servlet end

final class Payments {
    private Payments() {}

    static void markPaid(PaymentStatus status) throws java.sql.SQLException {
        if (status == null) {
            throw new java.sql.SQLException("no status");
        }
    }
}
