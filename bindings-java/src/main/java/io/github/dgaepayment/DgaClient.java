package io.github.dgaepayment;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.BiFunction;
import java.util.function.BiPredicate;

/**
 * A client for one configuration: one connection pool and one token cache. Thread-safe: share
 * one per configuration; calls from many threads overlap. Close it when done (calls in flight
 * finish first).
 *
 * <pre>{@code
 * try (DgaClient client = DgaClient.builder().consumerKey(key).consumerSecret(secret)
 *         .agentId(agentId).environment(Environment.UAT).build()) {
 *     PaymentStatus st = client.status(reference1, reference2);
 * }
 * }</pre>
 */
public final class DgaClient implements AutoCloseable {
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private long handle;

    private DgaClient(long handle) {
        this.handle = handle;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * A client configured from the environment: {@code DGA_CONSUMER_KEY},
     * {@code DGA_CONSUMER_SECRET}, {@code DGA_AGENT_ID}, {@code DGA_ENVIRONMENT},
     * {@code DGA_GATEWAY_URL}, {@code DGA_SOURCE} (and {@code DGA_PROXY}, {@code DGA_CA_FILE}).
     */
    public static DgaClient fromEnv() {
        return open("{}", true);
    }

    private static DgaClient open(String configJson, boolean fromEnv) {
        return new DgaClient(Long.parseLong(Native.ok(Native.clientNew(configJson, fromEnv))));
    }

    /** The SDK's version (the core's). */
    public static String version() {
        return Native.ok(Native.version());
    }

    /** The core's schema of every record that crosses the binding, as JSON text. */
    public static String schemaJson() {
        return Native.ok(Native.schemaJson());
    }

    private interface Call {
        String run(long handle);
    }

    /** A native call's tagged result, on a live handle. */
    private String raw(Call c) {
        ReentrantReadWriteLock.ReadLock read = lock.readLock();
        read.lock();
        try {
            if (handle == 0) {
                throw new IllegalStateException("this DgaClient is closed");
            }
            return c.run(handle);
        } finally {
            read.unlock();
        }
    }

    private String call(Call c) {
        return Native.ok(raw(c));
    }

    /**
     * Creates a payment transaction. {@link DgaOutcomeUnknownException} means it may exist:
     * check {@link #status} with its references first.
     */
    public Payment createPayment(CreatePaymentRequest request) {
        if (request == null) {
            throw new IllegalArgumentException("request is null");
        }
        String json = request.toJson();
        return new Payment(Json.parseObject(call(h -> Native.createPayment(h, json))));
    }

    /** Reads a transaction's state from DGA (retried on transient failures). */
    public PaymentStatus status(String reference1, String reference2) {
        return PaymentStatus.fromJson(call(h -> Native.status(h, reference1, reference2 == null ? "" : reference2)));
    }

    /** As {@link #status(String, String)} for a payment without a reference2. */
    public PaymentStatus status(String reference1) {
        return status(reference1, "");
    }

    /** Closes an unpaid transaction (a paid one is a {@link DgaApiException}, code 14). */
    public Confirmation closePayment(String reference1, String reference2) {
        return new Confirmation(Json.parseObject(call(h -> Native.closePayment(h, reference1, reference2 == null ? "" : reference2))));
    }

    /**
     * Voids a paid FastPay transaction; {@code paymentReference} is the {@code refId} from status
     * or the callback. {@link DgaOutcomeUnknownException} means it may have happened.
     */
    public Confirmation voidPayment(String reference1, String reference2, String paymentReference) {
        return new Confirmation(Json.parseObject(call(h -> Native.voidPayment(h, reference1, reference2 == null ? "" : reference2, paymentReference))));
    }

    /**
     * Confirms a callback with DGA: re-reads the status and checks that references, amount,
     * paid status and refId agree. Act on the result, never on the callback alone.
     */
    public PaymentStatus verifyCallback(PaymentStatus callback) {
        if (callback == null) {
            throw new IllegalArgumentException("callback is null");
        }
        String json = callback.toJson();
        return PaymentStatus.fromJson(call(h -> Native.verifyCallback(h, json)));
    }

    /**
     * A callback endpoint's whole work: parses the raw body, verifies it with DGA, runs
     * {@code onStatus} with DGA's own status, and gives the HTTP answer the core's callback
     * contract sets (200 accepted; 400 invalid; 409 disagreeing; 503 DGA unreachable; 500 when
     * {@code onStatus} throws, so DGA delivers it again). Never throws for a bad callback.
     */
    public CallbackReply handleCallback(byte[] body, DgaCallbackHandler onStatus) {
        return reply(raw(h -> Native.receiveCallback(h, body)), onStatus);
    }

    /**
     * {@link #handleCallback(byte[], DgaCallbackHandler)} after your own check:
     * {@code knownReference} answers from your orders (a database lookup) whether you created
     * the payment {@code (reference1, reference2)}. False refuses the delivery at once (404
     * "unknown payment", counted in {@link #verificationStats()}) without asking DGA and without
     * calling {@code onStatus}, so forged references cost DGA nothing; an exception in it
     * answers 503 (DGA delivers again) with that exception as {@link CallbackReply#getError()}.
     * Null: no check.
     */
    public CallbackReply handleCallback(byte[] body, DgaCallbackHandler onStatus, BiPredicate<String, String> knownReference) {
        if (knownReference == null) {
            return handleCallback(body, onStatus);
        }
        String tagged = Native.callbackReferences(body);
        if (tagged == null || !tagged.startsWith("R")) {
            return reply(tagged, onStatus);
        }
        List<?> refs = (List<?>) Json.parse(tagged.substring(1));
        String r1 = (String) refs.get(0);
        String r2 = (String) refs.get(1);
        boolean known;
        try {
            known = knownReference.test(r1, r2);
        } catch (Exception e) {
            return unavailable(e);
        }
        return known ? handleCallback(body, onStatus) : reply(raw(h -> Native.refuseUnknownReference(h, r1, r2)), onStatus);
    }

    /**
     * What callback verification has cost DGA and what it refused since this client was built
     * (the core's counters): alert on a flood.
     */
    public VerificationStats verificationStats() {
        return new VerificationStats(Json.parseObject(call(Native::verificationStatsJson)));
    }

    /** The reply for what the core made of a callback, running the handler on a verified one. */
    private static CallbackReply reply(String tagged, DgaCallbackHandler onStatus) {
        if (tagged != null && tagged.startsWith("E")) {
            Map<String, Object> failure = Json.parseObject(tagged.substring(1));
            if (failure.containsKey("httpStatus")) {
                DgaException error = DgaException.fromJson(Records.map(failure.get("error")));
                return new CallbackReply(failure, false, null, error);
            }
            return handlerFailed(null, DgaException.fromJson(failure));
        }
        PaymentStatus status = PaymentStatus.fromJson(Native.ok(tagged));
        try {
            onStatus.accept(status);
        } catch (Exception e) {
            return handlerFailed(status, e);
        }
        return new CallbackReply(Json.parseObject(Native.ok(Native.callbackReply(0, "Success", 0))), true, status, null);
    }

    /** 503: your own reference check failed, so the delivery could not be checked now. */
    private static CallbackReply unavailable(Throwable error) {
        return new CallbackReply(Json.parseObject(Native.ok(Native.callbackReply(3, "", 0))), false, null, error);
    }

    private static CallbackReply handlerFailed(PaymentStatus status, Throwable error) {
        return new CallbackReply(Json.parseObject(Native.ok(Native.callbackReply(1, "", 0))), false, status, error);
    }

    private interface Start {
        String run(long handle, Object call);
    }

    private <T> CompletableFuture<T> async(Executor executor, NativeCall.Convert<T> convert, Start start) {
        NativeCall<T> call = new NativeCall<>(executor, convert);
        ReentrantReadWriteLock.ReadLock read = lock.readLock();
        read.lock();
        try {
            if (handle == 0) {
                call.completeExceptionally(new IllegalStateException("this DgaClient is closed"));
                return call;
            }
            return call.started(start.run(handle, call));
        } finally {
            read.unlock();
        }
    }

    /**
     * {@link #createPayment} without blocking: no thread per call; the future completes on
     * {@code executor} (null: {@link ForkJoinPool#commonPool()}). {@code cancel(true)} does not
     * stop a create DGA may be acting on: the core lets it end and logs its outcome; check
     * {@link #status} with the request's references.
     */
    public CompletableFuture<Payment> createPaymentAsync(CreatePaymentRequest request, Executor executor) {
        if (request == null) {
            throw new IllegalArgumentException("request is null");
        }
        String json = request.toJson();
        return async(executor, t -> new Payment(Json.parseObject(Native.ok(t))), (h, c) -> Native.createPaymentAsync(h, json, c));
    }

    public CompletableFuture<Payment> createPaymentAsync(CreatePaymentRequest request) {
        return createPaymentAsync(request, null);
    }

    /** {@link #status} without blocking; {@code cancel(true)} stops the call. */
    public CompletableFuture<PaymentStatus> statusAsync(String reference1, String reference2, Executor executor) {
        String r2 = reference2 == null ? "" : reference2;
        return async(executor, t -> PaymentStatus.fromJson(Native.ok(t)), (h, c) -> Native.statusAsync(h, reference1, r2, c));
    }

    public CompletableFuture<PaymentStatus> statusAsync(String reference1, String reference2) {
        return statusAsync(reference1, reference2, null);
    }

    /** {@link #closePayment} without blocking; {@code cancel(true)} stops the call. */
    public CompletableFuture<Confirmation> closePaymentAsync(String reference1, String reference2, Executor executor) {
        String r2 = reference2 == null ? "" : reference2;
        return async(executor, t -> new Confirmation(Json.parseObject(Native.ok(t))),
                (h, c) -> Native.closePaymentAsync(h, reference1, r2, c));
    }

    public CompletableFuture<Confirmation> closePaymentAsync(String reference1, String reference2) {
        return closePaymentAsync(reference1, reference2, null);
    }

    /** {@link #voidPayment} without blocking; a cancelled void runs to its end inside the core. */
    public CompletableFuture<Confirmation> voidPaymentAsync(String reference1, String reference2, String paymentReference,
            Executor executor) {
        String r2 = reference2 == null ? "" : reference2;
        return async(executor, t -> new Confirmation(Json.parseObject(Native.ok(t))),
                (h, c) -> Native.voidPaymentAsync(h, reference1, r2, paymentReference, c));
    }

    public CompletableFuture<Confirmation> voidPaymentAsync(String reference1, String reference2, String paymentReference) {
        return voidPaymentAsync(reference1, reference2, paymentReference, null);
    }

    /** {@link #verifyCallback} without blocking. */
    public CompletableFuture<PaymentStatus> verifyCallbackAsync(PaymentStatus callback, Executor executor) {
        if (callback == null) {
            throw new IllegalArgumentException("callback is null");
        }
        String json = callback.toJson();
        return async(executor, t -> PaymentStatus.fromJson(Native.ok(t)), (h, c) -> Native.verifyCallbackAsync(h, json, c));
    }

    public CompletableFuture<PaymentStatus> verifyCallbackAsync(PaymentStatus callback) {
        return verifyCallbackAsync(callback, null);
    }

    /**
     * {@link #handleCallback} without blocking: parsing and verification run on the core's
     * runtime; {@code onStatus} and the reply run on {@code executor}.
     */
    public CompletableFuture<CallbackReply> handleCallbackAsync(byte[] body, DgaCallbackHandler onStatus, Executor executor) {
        return async(executor, t -> reply(t, onStatus), (h, c) -> Native.receiveCallbackAsync(h, body, c));
    }

    public CompletableFuture<CallbackReply> handleCallbackAsync(byte[] body, DgaCallbackHandler onStatus) {
        return handleCallbackAsync(body, onStatus, null);
    }

    /**
     * {@link #handleCallback(byte[], DgaCallbackHandler, BiPredicate)} without blocking: your
     * {@code knownReference} answers asynchronously (say
     * {@code CompletableFuture.supplyAsync(() -> orders.exists(r1, r2), dbPool)}); false is
     * 404 with no DGA call, a failed or null answer 503. The reply completes on
     * {@code executor} (null: the common pool).
     */
    public CompletableFuture<CallbackReply> handleCallbackAsync(byte[] body, DgaCallbackHandler onStatus,
            BiFunction<String, String, ? extends CompletionStage<Boolean>> knownReference, Executor executor) {
        if (knownReference == null) {
            return handleCallbackAsync(body, onStatus, executor);
        }
        String tagged = Native.callbackReferences(body);
        if (tagged == null || !tagged.startsWith("R")) {
            return CompletableFuture.completedFuture(reply(tagged, onStatus));
        }
        List<?> refs = (List<?>) Json.parse(tagged.substring(1));
        String r1 = (String) refs.get(0);
        String r2 = (String) refs.get(1);
        CompletionStage<Boolean> known;
        try {
            known = Objects.requireNonNull(knownReference.apply(r1, r2), "knownReference gave no CompletionStage");
        } catch (Exception e) {
            return CompletableFuture.completedFuture(unavailable(e));
        }
        CompletableFuture<CallbackReply> out = new CompletableFuture<>();
        known.whenCompleteAsync((yes, err) -> {
            try {
                if (err != null || yes == null) {
                    out.complete(unavailable(err != null ? unwrap(err) : new NullPointerException("knownReference completed with null")));
                } else if (yes) {
                    handleCallbackAsync(body, onStatus, executor).whenComplete((r, e) -> {
                        if (e != null) {
                            out.completeExceptionally(e);
                        } else {
                            out.complete(r);
                        }
                    });
                } else {
                    out.complete(reply(raw(h -> Native.refuseUnknownReference(h, r1, r2)), onStatus));
                }
            } catch (Throwable e) {
                out.completeExceptionally(e);
            }
        }, executor == null ? ForkJoinPool.commonPool() : executor);
        return out;
    }

    private static Throwable unwrap(Throwable e) {
        return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    }

    /** Frees the client once the calls in flight have returned. Idempotent. */
    @Override
    public void close() {
        ReentrantReadWriteLock.WriteLock write = lock.writeLock();
        write.lock();
        try {
            if (handle != 0) {
                Native.clientFree(handle);
                handle = 0;
            }
        } finally {
            write.unlock();
        }
    }

    /** Shows no configuration: it holds the secret. */
    @Override
    public String toString() {
        return "DgaClient{" + (handle == 0 ? "closed" : "open") + "}";
    }

    /** The client's settings; {@link #build()} checks them all (a {@link DgaValidationException}). */
    public static final class Builder {
        private final Map<String, Object> options = new LinkedHashMap<>();

        private Builder() {}

        /**
         * Any option of the core's {@code ClientOptions} by its wire name (see
         * {@link DgaClient#schemaJson()}); durations in milliseconds.
         */
        public Builder option(String key, Object value) {
            if (value == null) {
                options.remove(key);
            } else {
                options.put(key, value);
            }
            return this;
        }

        /** An option by its snake_case name; its key is the schema's wire name. */
        private Builder set(String snake, Object value) {
            return option(Records.wire("ClientOptions", snake), value);
        }

        public Builder consumerKey(String v) {
            return set("consumer_key", v);
        }

        public Builder consumerSecret(String v) {
            return set("consumer_secret", v);
        }

        /** The agency's 13-digit AgentID. */
        public Builder agentId(String v) {
            return set("agent_id", v);
        }

        public Builder environment(Environment v) {
            return set("environment", v == null ? null : v.wire());
        }

        /** A gateway URL over the environment's (the sandbox, a proxy). */
        public Builder gatewayUrl(String v) {
            return set("gateway_url", v);
        }

        /** The default source for createPayment. */
        public Builder source(String v) {
            return set("source", v);
        }

        /** The whole request's timeout (default 30 s). */
        public Builder timeout(Duration v) {
            return set("timeout", v == null ? null : v.toMillis());
        }

        public Builder connectTimeout(Duration v) {
            return set("connect_timeout", v == null ? null : v.toMillis());
        }

        public Builder tokenMaxAge(Duration v) {
            return set("token_max_age", v == null ? null : v.toMillis());
        }

        /** false: no retries at all (default: the core's policy). */
        public Builder retry(boolean v) {
            return set("retry", v ? null : Boolean.FALSE);
        }

        /** An HTTP proxy URL. */
        public Builder proxy(String v) {
            return set("proxy", v);
        }

        /** Extra trusted CA certificates, PEM text. */
        public Builder caPem(String v) {
            return set("ca_pem", v);
        }

        /** Extra trusted CA certificates, a PEM file. */
        public Builder caFile(String v) {
            return set("ca_file", v);
        }

        public Builder userAgentSuffix(String v) {
            return set("user_agent_suffix", v);
        }

        public Builder maxConcurrentVerifications(int v) {
            return set("max_concurrent_verifications", v);
        }

        /** Status calls per second for callback verification (default 20, burst 40; 0: off). */
        public Builder verificationRate(int v) {
            return set("verification_rate", v);
        }

        /** How long DGA's final status answers repeated deliveries claiming it (default 2 s). */
        public Builder verificationReuse(Duration v) {
            return set("verification_reuse", v == null ? null : v.toMillis());
        }

        /** Makes the client (no network call). */
        public DgaClient build() {
            return open(Json.write(options), false);
        }

        /** Shows the option names only: values may be secret. */
        @Override
        public String toString() {
            return "DgaClient.Builder" + options.keySet();
        }
    }
}
