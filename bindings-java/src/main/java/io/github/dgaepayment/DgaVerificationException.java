package io.github.dgaepayment;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/** A callback disagrees with DGA's own status, or could not be checked now ({@code busy}). */
public class DgaVerificationException extends DgaException {
    private static final long serialVersionUID = 1L;

    private final String reason;
    private final List<Mismatch> mismatches;

    DgaVerificationException(String message, Map<String, Object> json) {
        super("verification", message, json);
        this.reason = (String) json.get("reason");
        List<Mismatch> list = new ArrayList<>();
        Object m = json.get("mismatches");
        if (m instanceof List) {
            for (Object o : (List<?>) m) {
                list.add(new Mismatch(Records.map(o)));
            }
        }
        this.mismatches = Collections.unmodifiableList(list);
    }

    /** Why: the core's reason code (e.g. {@code mismatch}, {@code busy}). */
    public String getReason() {
        return reason;
    }

    /** The fields where the callback and DGA disagree. */
    public List<Mismatch> getMismatches() {
        return mismatches;
    }
}
