package io.github.dgaepayment;

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
import java.util.function.Function;
import java.util.logging.Level;

/**
 * A client for one configuration (one connection pool, one token cache): thread-safe, share one;
 * close it when done (calls in flight finish first). Made by {@link #builder()} or
 * {@link #fromEnv()}.
 */
public final class DgaClient implements AutoCloseable {
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private long handle;

    private DgaClient(long handle) {
        this.handle = handle;
    }

    /** A builder for a client configured in code ({@link #fromEnv()} reads the environment). */
    public static Builder builder() {
        return new Builder();
    }

    /** A client configured from the environment's {@code DGA_*} variables (the README lists them). */
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

    /** The tagged result of {@code start(handle, call)}, a native call on a live handle: blocking when {@code call} is null. */
    private String raw(BiFunction<Long, Object, String> start, NativeCall<?> call) {
        ReentrantReadWriteLock.ReadLock read = lock.readLock();
        read.lock();
        try {
            if (handle == 0) {
                throw new IllegalStateException("this DgaClient is closed");
            }
            return start.apply(handle, call);
        } finally {
            read.unlock();
        }
    }

    private static final Function<String, Payment> PAYMENT = t -> new Payment(Json.parseObject(Native.ok(t)));
    private static final Function<String, PaymentStatus> STATUS = t -> PaymentStatus.fromJson(Native.ok(t));
    private static final Function<String, Confirmation> CONFIRMATION =
            t -> new Confirmation(Json.parseObject(Native.ok(t)));

    static <T> T given(T value, String name) {
        if (value == null) {
            throw new IllegalArgumentException(name + " is null");
        }
        return value;
    }

    /** A callback's arguments, before anything else: a null is a wiring mistake, not a 500 reply. */
    private static void callbackArgs(byte[] body, DgaCallbackHandler onStatus) {
        given(body, "body");
        given(onStatus, "onStatus");
    }

    private static String orEmpty(String reference2) {
        return reference2 == null ? "" : reference2;
    }

    /**
     * Creates a payment transaction. {@link DgaOutcomeUnknownException} means it may exist:
     * check {@link #status} with its references first.
     */
    public Payment createPayment(CreatePaymentRequest request) {
        String json = given(request, "request").toJson();
        return PAYMENT.apply(raw((h, c) -> Native.createPayment(h, json, c), null));
    }

    /** Reads a transaction's state from DGA (retried on transient failures). */
    public PaymentStatus status(String reference1, String reference2) {
        return STATUS.apply(raw((h, c) -> Native.status(h, reference1, orEmpty(reference2), c), null));
    }

    /** As {@link #status(String, String)} for a payment without a reference2. */
    public PaymentStatus status(String reference1) {
        return status(reference1, "");
    }

    /** Closes an unpaid transaction (a paid one is a {@link DgaApiException}, code 14). */
    public Confirmation closePayment(String reference1, String reference2) {
        return CONFIRMATION.apply(raw((h, c) -> Native.closePayment(h, reference1, orEmpty(reference2), c), null));
    }

    /**
     * Voids a paid FastPay transaction; {@code paymentReference} is the {@code refId} from status
     * or the callback. {@link DgaOutcomeUnknownException} means it may have happened.
     */
    public Confirmation voidPayment(String reference1, String reference2, String paymentReference) {
        return CONFIRMATION.apply(raw((h, c) -> Native.voidPayment(h, reference1, orEmpty(reference2), paymentReference, c), null));
    }

    /**
     * Confirms a callback with DGA by DGA's own status (the callback contract): a
     * {@link DgaVerificationException} when DGA does not know the payment, still has it Pending or
     * reports another final status; other differences (amount, refId) are logged, never refused.
     * Act on the result, never on the callback alone.
     */
    public PaymentStatus verifyCallback(PaymentStatus callback) {
        String json = given(callback, "callback").toJson();
        return STATUS.apply(raw((h, c) -> Native.verifyCallback(h, json, c), null));
    }

    /**
     * A callback endpoint's whole work: parses the raw body, verifies it with DGA, runs {@code onStatus}
     * with DGA's own status, and gives the HTTP answer (200 accepted; 400 invalid; 404 unknown; 409
     * disagreeing or pending; 503 DGA unreachable or busy; 500 when {@code onStatus} throws, logged at
     * WARNING). Never throws for a bad callback; a null argument is an IllegalArgumentException.
     */
    public CallbackReply handleCallback(byte[] body, DgaCallbackHandler onStatus) {
        callbackArgs(body, onStatus);
        return reply(raw((h, c) -> Native.receiveCallback(h, body, c), null), onStatus);
    }

    /**
     * {@link #handleCallback(byte[], DgaCallbackHandler)} after your own check (null: none):
     * {@code knownReference} answers from your orders whether you created the payment
     * {@code (reference1, reference2)}. False refuses it at once (404, counted in
     * {@link #verificationStats()}) without asking DGA; an exception in it answers 503 with that
     * exception as {@link CallbackReply#getError()}, logged at WARNING.
     */
    public CallbackReply handleCallback(byte[] body, DgaCallbackHandler onStatus, BiPredicate<String, String> knownReference) {
        callbackArgs(body, onStatus);
        if (knownReference == null) {
            return handleCallback(body, onStatus);
        }
        String tagged = raw((h, c) -> Native.callbackReferences(body), null); // a closed client throws before the lookup runs
        if (tagged == null || !tagged.startsWith("R")) {
            return reply(tagged, onStatus);
        }
        String[] refs = ((List<?>) Json.parse(tagged.substring(1))).toArray(new String[0]);
        boolean known;
        try {
            known = knownReference.test(refs[0], refs[1]);
        } catch (Exception e) {
            return reply(3, "", null, e);
        }
        return known ? handleCallback(body, onStatus) : reply(raw((h, c) -> Native.refuseUnknownReference(h, refs[0], refs[1]), null), onStatus);
    }

    /** What callback verification has cost DGA and what it refused (alert on a flood). */
    public VerificationStats verificationStats() {
        return new VerificationStats(Json.parseObject(Native.ok(raw((h, c) -> Native.verificationStatsJson(h), null))));
    }

    /** The reply for what the core made of a callback, running the handler on a verified one. */
    private static CallbackReply reply(String tagged, DgaCallbackHandler onStatus) {
        if (tagged != null && tagged.startsWith("E")) {
            Map<String, Object> failure = Json.parseObject(tagged.substring(1));
            if (failure.containsKey("error")) { // a refusal: the reply and the error that made it
                DgaException error = DgaException.fromJson(Records.map(failure.get("error")));
                return new CallbackReply(failure, null, error);
            }
            return reply(1, "", null, DgaException.fromJson(failure));
        }
        PaymentStatus status = PaymentStatus.fromJson(Native.ok(tagged));
        try {
            onStatus.accept(status);
        } catch (Exception e) {
            return reply(1, "", status, e);
        }
        return reply(0, "Success", status, null);
    }

    /** The core's reply: 0 accepted, 1 the handler failed (500), 3 the agency's own check failed (503); a failure logged. */
    private static CallbackReply reply(int which, String message, PaymentStatus status, Throwable error) {
        CallbackReply r = new CallbackReply(Json.parseObject(Native.ok(Native.callbackReply(which, message, 0))), status, error);
        if (error != null) { // the agency's own failure: DGA only sees the reply
            String what = which == 3 ? "knownReference threw" : status != null ? "the callback handler threw" : "the SDK failed";
            Native.LOG.log(Level.WARNING, what + "; answered DGA " + r.getHttpStatus() + " (result false), DGA delivers again", error);
        }
        return r;
    }

    private <T> CompletableFuture<T> async(Executor executor, Function<String, T> convert, BiFunction<Long, Object, String> start) {
        NativeCall<T> call = new NativeCall<>(executor, convert);
        try {
            return call.started(raw(start, call));
        } catch (IllegalStateException closed) {
            call.completeExceptionally(closed);
            return call;
        }
    }

    /**
     * {@link #createPayment} without blocking; the future completes on {@code executor} (null:
     * {@link ForkJoinPool#commonPool()}). {@code cancel(true)} does not stop a create DGA may be
     * acting on (the core logs its outcome): check {@link #status}.
     */
    public CompletableFuture<Payment> createPaymentAsync(CreatePaymentRequest request, Executor executor) {
        String json = given(request, "request").toJson();
        return async(executor, PAYMENT, (h, c) -> Native.createPayment(h, json, c));
    }

    /** {@link #createPaymentAsync(CreatePaymentRequest, Executor)} completing on {@link ForkJoinPool#commonPool()}. */
    public CompletableFuture<Payment> createPaymentAsync(CreatePaymentRequest request) {
        return createPaymentAsync(request, null);
    }

    /** {@link #status} without blocking; {@code cancel(true)} stops the call. */
    public CompletableFuture<PaymentStatus> statusAsync(String reference1, String reference2, Executor executor) {
        return async(executor, STATUS, (h, c) -> Native.status(h, reference1, orEmpty(reference2), c));
    }

    /** {@link #statusAsync(String, String, Executor)} completing on {@link ForkJoinPool#commonPool()}. */
    public CompletableFuture<PaymentStatus> statusAsync(String reference1, String reference2) {
        return statusAsync(reference1, reference2, null);
    }

    /** {@link #closePayment} without blocking; {@code cancel(true)} stops the call. */
    public CompletableFuture<Confirmation> closePaymentAsync(String reference1, String reference2, Executor executor) {
        return async(executor, CONFIRMATION, (h, c) -> Native.closePayment(h, reference1, orEmpty(reference2), c));
    }

    /** {@link #closePaymentAsync(String, String, Executor)} completing on {@link ForkJoinPool#commonPool()}. */
    public CompletableFuture<Confirmation> closePaymentAsync(String reference1, String reference2) {
        return closePaymentAsync(reference1, reference2, null);
    }

    /** {@link #voidPayment} without blocking; a cancelled void runs to its end inside the core. */
    public CompletableFuture<Confirmation> voidPaymentAsync(String reference1, String reference2, String paymentReference,
            Executor executor) {
        return async(executor, CONFIRMATION,
                (h, c) -> Native.voidPayment(h, reference1, orEmpty(reference2), paymentReference, c));
    }

    /** {@link #voidPaymentAsync(String, String, String, Executor)} completing on {@link ForkJoinPool#commonPool()}. */
    public CompletableFuture<Confirmation> voidPaymentAsync(String reference1, String reference2, String paymentReference) {
        return voidPaymentAsync(reference1, reference2, paymentReference, null);
    }

    /** {@link #verifyCallback} without blocking. */
    public CompletableFuture<PaymentStatus> verifyCallbackAsync(PaymentStatus callback, Executor executor) {
        String json = given(callback, "callback").toJson();
        return async(executor, STATUS, (h, c) -> Native.verifyCallback(h, json, c));
    }

    /** {@link #verifyCallbackAsync(PaymentStatus, Executor)} completing on {@link ForkJoinPool#commonPool()}. */
    public CompletableFuture<PaymentStatus> verifyCallbackAsync(PaymentStatus callback) {
        return verifyCallbackAsync(callback, null);
    }

    /**
     * {@link #handleCallback} without blocking: parsing and verification run on the core's
     * runtime; {@code onStatus} and the reply run on {@code executor}.
     */
    public CompletableFuture<CallbackReply> handleCallbackAsync(byte[] body, DgaCallbackHandler onStatus, Executor executor) {
        callbackArgs(body, onStatus);
        return async(executor, t -> reply(t, onStatus), (h, c) -> Native.receiveCallback(h, body, c));
    }

    /** {@link #handleCallbackAsync(byte[], DgaCallbackHandler, Executor)} completing on {@link ForkJoinPool#commonPool()}. */
    public CompletableFuture<CallbackReply> handleCallbackAsync(byte[] body, DgaCallbackHandler onStatus) {
        return handleCallbackAsync(body, onStatus, null);
    }

    /**
     * {@link #handleCallback(byte[], DgaCallbackHandler, BiPredicate)} without blocking: your
     * {@code knownReference} answers asynchronously; false is 404 with no DGA call, a failed or
     * null answer 503. The reply completes on {@code executor} (null: the common pool).
     */
    public CompletableFuture<CallbackReply> handleCallbackAsync(byte[] body, DgaCallbackHandler onStatus,
            BiFunction<String, String, ? extends CompletionStage<Boolean>> knownReference, Executor executor) {
        callbackArgs(body, onStatus);
        if (knownReference == null) {
            return handleCallbackAsync(body, onStatus, executor);
        }
        String tagged;
        try {
            tagged = raw((h, c) -> Native.callbackReferences(body), null);
        } catch (IllegalStateException closed) {
            return handleCallbackAsync(body, onStatus, executor); // its failed future, before the lookup runs
        }
        if (tagged == null || !tagged.startsWith("R")) {
            return CompletableFuture.completedFuture(reply(tagged, onStatus));
        }
        String[] refs = ((List<?>) Json.parse(tagged.substring(1))).toArray(new String[0]);
        CompletionStage<Boolean> known;
        try {
            known = Objects.requireNonNull(knownReference.apply(refs[0], refs[1]), "knownReference gave no CompletionStage");
        } catch (Exception e) {
            return CompletableFuture.completedFuture(reply(3, "", null, e));
        }
        CompletableFuture<CallbackReply> out = new CompletableFuture<>();
        known.whenCompleteAsync((yes, err) -> {
            try {
                if (err != null || yes == null) {
                    out.complete(reply(3, "", null, err != null ? unwrap(err) : new NullPointerException("knownReference completed with null")));
                } else if (yes) {
                    handleCallbackAsync(body, onStatus, executor).whenComplete((r, e) -> {
                        if (e != null) {
                            out.completeExceptionally(e);
                        } else {
                            out.complete(r);
                        }
                    });
                } else {
                    out.complete(reply(raw((h, c) -> Native.refuseUnknownReference(h, refs[0], refs[1]), null), onStatus));
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
    public static final class Builder extends ClientOptionsSetters<Builder> {
        private final Map<String, Object> options = new LinkedHashMap<>();

        private Builder() {}

        /**
         * Any option of the core's {@code ClientOptions} by its wire name: a string, number, boolean,
         * map or list; a duration in milliseconds or as a {@link java.time.Duration}. Else a {@link DgaValidationException}.
         */
        public Builder option(String key, Object value) {
            if (value == null) {
                options.remove(key);
            } else {
                options.put(key, Json.plain(value, key, "ClientOptions", key));
            }
            return this;
        }

        /** An option by its snake_case name; its key is the schema's wire name. */
        @Override
        Builder set(String snake, Object value) {
            return option(Records.wire("ClientOptions", snake), value);
        }

        /** UAT (the default), production or test; {@link #gatewayUrl} replaces its URL. */
        public Builder environment(Environment v) {
            return set("environment", v == null ? null : v.wire());
        }

        /** false: no retries at all (default: the core's policy). */
        public Builder retry(boolean v) {
            return set("retry", v ? null : Boolean.FALSE);
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
