// The C ABI from C++17 with RAII owners, against the sandbox binary: every function, the
// create-request vectors, and one client shared by 16 std::threads whose errors stay their own.
// Usage: test_cpp SANDBOX_BINARY VECTORS_DIR. Prints "N passed, N failed".
#include "dga_epayment.h"
#include "harness.h"

#include <cjson/cJSON.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

// Owners that free with the library's own functions (never free()/delete).
struct StringFree {
    void operator()(char *s) const { dga_string_free(s); }
};
struct ErrorFree {
    void operator()(DgaError *e) const { dga_error_free(e); }
};
struct ClientFree {
    void operator()(DgaClient *c) const { dga_client_free(c); }
};
using String = std::unique_ptr<char, StringFree>;
using Error = std::unique_ptr<DgaError, ErrorFree>;
using Client = std::unique_ptr<DgaClient, ClientFree>;

struct Json {
    cJSON *v;
    explicit Json(const char *text) : v(text ? cJSON_Parse(text) : nullptr) {}
    explicit Json(const std::string &text) : v(cJSON_Parse(text.c_str())) {}
    ~Json() { cJSON_Delete(v); }
    Json(const Json &) = delete;
    Json &operator=(const Json &) = delete;
    const cJSON *operator[](const char *key) const {
        return cJSON_GetObjectItemCaseSensitive(v, key);
    }
    std::string str(const char *key) const {
        const cJSON *item = (*this)[key];
        return cJSON_IsString(item) ? item->valuestring : std::string("<absent>");
    }
};

// One call's outcome: status, result text, error.
struct Outcome {
    int32_t status;
    std::string out;
    Error err;
    std::string message() const { return dga_error_message(err.get()); }
    std::string error_json() const { return dga_error_json(err.get()); }
};

template <class F> Outcome run(F f) {
    char *out = nullptr;
    DgaError *err = nullptr;
    int32_t status = f(&out, &err);
    Outcome o{status, out ? out : "", Error(err)};
    dga_string_free(out);
    return o;
}

Sandbox sb;
std::string vectors;

void check(bool ok, const std::string &what, int line) {
    check_at(ok ? 1 : 0, __FILE__, line, what.c_str(), nullptr);
}
#define EXPECT(cond, detail) check((cond), std::string(#cond) + ": " + (detail), __LINE__)

std::string config(const std::string &source_json) {
    return std::string("{\"consumerKey\": \"sandbox-key\", \"consumerSecret\": \"sandbox-secret\", "
                       "\"agentId\": \"1234567890121\", \"gatewayUrl\": \"") +
           sb.url + "\", \"source\": " + source_json +
           ", \"timeoutMs\": 10000, \"retry\": {\"backoffBaseMs\": 1, \"backoffCapMs\": 5}}";
}

Client make_client(const std::string &source_json = "\"SANDBOX\"") {
    DgaError *err = nullptr;
    Client c(dga_client_new(config(source_json).c_str(), &err));
    Error owned(err);
    EXPECT(c != nullptr, dga_error_message(err));
    return c;
}

std::atomic<int> seq{0};

std::string unique_ref(const char *prefix) {
    return std::string(prefix) + "-" + std::to_string(getpid()) + "-" + std::to_string(++seq);
}

std::string request(const std::string &ref1, const char *extra = "") {
    return std::string("{\"customerID\": \"1234567890121\", \"customerTitleName\": \"นาง\", "
                       "\"customerFirstName\": \"สมใจ\", \"customerLastName\": \"ใจดี\", "
                       "\"paymentType\": \"FastPay\", \"amount\": 1500.25, "
                       "\"requestReference1\": \"") +
           ref1 + "\"" + extra + "}";
}

std::set<std::string> error_fields(const Outcome &o) {
    std::set<std::string> fields;
    Json j(o.error_json());
    const cJSON *x;
    cJSON_ArrayForEach(x, j["errors"]) {
        fields.insert(cJSON_GetObjectItemCaseSensitive(x, "field")->valuestring);
    }
    return fields;
}

void test_every_function() {
    EXPECT(std::string(dga_version()) == EXPECTED_VERSION, dga_version());
    Json tables(dga_enum_tables_json());
    EXPECT(cJSON_GetArraySize(tables["ErrorCode"]) == 23, dga_enum_tables_json());
    Json kinds(dga_error_kinds_json());
    EXPECT(cJSON_GetArraySize(kinds.v) == 9, dga_error_kinds_json());

    Client c = make_client();
    std::string ref1 = unique_ref("P");
    Outcome created = run([&](char **o, DgaError **e) {
        return dga_create_payment(c.get(), request(ref1).c_str(), o, e);
    });
    EXPECT(created.status == DGA_OK, created.message());
    Json payment(created.out);
    EXPECT(payment.str("amount") == "1500.25", created.out);
    EXPECT(payment.str("reference2") == "", created.out);

    Outcome html = run([&](char **o, DgaError **e) {
        return dga_checkout_form_html(created.out.c_str(), o, e);
    });
    EXPECT(html.status == DGA_OK && html.out.find("dga-epayment-checkout") != std::string::npos,
           html.message());

    // Pay it through the gateway page the checkout form posts to (the sandbox's KTB page).
    std::string sim = "{\"reference1\": \"" + ref1 + "\", \"outcome\": \"pay\"}";
    EXPECT(http_request(sb.port, "POST", "/__sandbox/simulate", sim.c_str(), nullptr) == 200, sim);

    Outcome status = run([&](char **o, DgaError **e) {
        return dga_status(c.get(), ref1.c_str(), "", o, e);
    });
    Json st(status.out);
    EXPECT(status.status == DGA_OK && st.str("paidStatus") == "Success", status.out);
    EXPECT(st.str("paymentType") == "FastPay" && st.str("amount") == "1500.25", status.out);

    // The callback DGA would send, as raw bytes: parse, verify, receive, reply.
    Outcome parsed = run([&](char **o, DgaError **e) {
        return dga_parse_callback(reinterpret_cast<const uint8_t *>(status.out.data()),
                                  status.out.size(), o, e);
    });
    EXPECT(parsed.status == DGA_OK, parsed.message());
    Outcome verified = run([&](char **o, DgaError **e) {
        return dga_verify_callback(c.get(), parsed.out.c_str(), o, e);
    });
    EXPECT(verified.status == DGA_OK && Json(verified.out).str("refId") == st.str("refId"),
           verified.message());
    Outcome received = run([&](char **o, DgaError **e) {
        return dga_receive_callback(c.get(), reinterpret_cast<const uint8_t *>(status.out.data()),
                                    status.out.size(), true, o, e);
    });
    EXPECT(received.status == DGA_OK, received.message());
    int32_t http = 0;
    String accepted(dga_callback_reply_accepted(nullptr, &http));
    EXPECT(http == 200 && std::strstr(accepted.get(), "\"result\":true"), accepted.get());
    String failed(dga_callback_reply_handler_failed(&http));
    EXPECT(http == 500, failed.get());
    String ack(dga_callback_ack(false, "ไม่รับ"));
    EXPECT(Json(ack.get()).str("message") == "ไม่รับ", ack.get());
    EXPECT(std::string(dga_callback_reply_content_type()).find("application/json") == 0,
           dga_callback_reply_content_type());

    Outcome voided = run([&](char **o, DgaError **e) {
        return dga_void(c.get(), ref1.c_str(), "", st.str("refId").c_str(), o, e);
    });
    EXPECT(voided.status == DGA_OK && Json(voided.out).str("status") == "Success",
           voided.message());
    // Now DGA says Void: the old callback no longer verifies, and the reply is 409.
    Outcome stale = run([&](char **o, DgaError **e) {
        return dga_verify_callback(c.get(), parsed.out.c_str(), o, e);
    });
    EXPECT(stale.status == DGA_VERIFICATION && error_fields(stale).empty(), stale.error_json());
    EXPECT(stale.error_json().find("\"field\":\"paidStatus\"") != std::string::npos,
           stale.error_json());
    String reply(dga_callback_reply_for_error(stale.err.get(), &http));
    EXPECT(http == 409, reply.get());
    Outcome closed = run([&](char **o, DgaError **e) {
        return dga_close(c.get(), ref1.c_str(), "", o, e);
    });
    EXPECT(closed.status == DGA_API && dga_error_api_code(closed.err.get()) == 14,
           closed.message());
    EXPECT(dga_error_kind(closed.err.get()) == DGA_API, closed.error_json());

    EXPECT(dga_validate_citizen_id("1234567890121"), "valid id");
    EXPECT(!dga_validate_citizen_id("1234567890123"), "the guide's example fails its check digit");

    // The environment variant, with every setting in the JSON.
    DgaError *err = nullptr;
    Client env(dga_client_new_from_env(config("null").c_str(), &err));
    Error env_err(err);
    EXPECT(env != nullptr, dga_error_message(err));
}

// tests/vectors/create_requests.json through dga_create_payment: refused before any network
// call exactly when the vectors say so, naming the same fields.
void test_create_request_vectors() {
    std::string path = vectors + "/create_requests.json";
    char *text = read_file(path.c_str(), nullptr);
    EXPECT(text != nullptr, path);
    Json doc(text);
    std::free(text);
    EXPECT(cJSON_GetArraySize(doc["cases"]) >= 40, "create_requests.json has its cases");
    const cJSON *c;
    cJSON_ArrayForEach(c, doc["cases"]) {
        std::string name = cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring;
        const char *req = cJSON_GetObjectItemCaseSensitive(c, "request")->valuestring;
        const cJSON *source = cJSON_GetObjectItemCaseSensitive(c, "defaultSource");
        const cJSON *expect = cJSON_GetObjectItemCaseSensitive(c, "expect");
        std::string source_json =
            cJSON_IsString(source) ? std::string("\"") + source->valuestring + "\"" : "null";
        Client client = make_client(source_json);
        bool ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(expect, "ok"));
        if (ok) {
            // Accepted requests reach the sandbox; start from an empty one so that the
            // vectors' references never collide.
            http_request(sb.port, "POST", "/__sandbox/reset", "{}", nullptr);
        }
        Outcome o = run([&](char **out, DgaError **e) {
            return dga_create_payment(client.get(), req, out, e);
        });
        if (ok) {
            EXPECT(o.status == DGA_OK, name + ": " + o.message());
            continue;
        }
        std::string kind = cJSON_GetObjectItemCaseSensitive(expect, "errorKind")->valuestring;
        if (kind == "invalid_json") {
            EXPECT(o.status == DGA_INVALID_ARGUMENT, name + ": " + o.message());
            continue;
        }
        std::set<std::string> want;
        const cJSON *f;
        cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(expect, "fields")) {
            want.insert(f->valuestring);
        }
        EXPECT(o.status == DGA_VALIDATION && error_fields(o) == want, name + ": " + o.error_json());
    }
}

// 16 threads share one client; each error belongs to the call that made it.
void test_threads() {
    Client c = make_client();
    const int n = 16;
    std::vector<std::thread> threads;
    std::atomic<int> good{0};
    for (int i = 0; i < n; i++) {
        threads.emplace_back([&, i] {
            if (i % 2 == 0) {
                std::string ref1 = unique_ref("M");
                Outcome created = run([&](char **o, DgaError **e) {
                    return dga_create_payment(c.get(), request(ref1).c_str(), o, e);
                });
                Outcome st = run([&](char **o, DgaError **e) {
                    return dga_status(c.get(), ref1.c_str(), "", o, e);
                });
                bool ok = created.status == DGA_OK && st.status == DGA_OK &&
                          Json(st.out).str("paidStatus") == "Pending";
                EXPECT(ok, created.message() + st.message());
                good += ok;
            } else {
                std::string key = "extra" + std::to_string(i);
                std::string bad = request(unique_ref("X"), (", \"" + key + "\": 1").c_str());
                Outcome o = run([&](char **out, DgaError **e) {
                    return dga_create_payment(c.get(), bad.c_str(), out, e);
                });
                bool ok = o.status == DGA_VALIDATION && error_fields(o) == std::set<std::string>{key};
                EXPECT(ok, o.error_json());
                good += ok;
            }
        });
    }
    for (auto &t : threads) t.join();
    EXPECT(good == n, std::to_string(good) + " of 16 threads");
}

} // namespace

int main(int argc, char **argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s SANDBOX_BINARY VECTORS_DIR\n", argv[0]);
        return 2;
    }
    vectors = argv[2];
    if (sandbox_start(&sb, argv[1]) != 0) return 2;
    test_every_function();
    test_threads();
    test_create_request_vectors();
    sandbox_stop(&sb);
    return harness_summary();
}
