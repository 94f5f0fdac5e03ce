package dev.chat.gateway.protocol;

/** A client frame the gateway refuses; becomes an {@code error} frame, never a stack trace. */
public class FrameRejected extends RuntimeException {

    private final ErrorCode code;
    private final String cid;

    public FrameRejected(ErrorCode code, String message, String cid) {
        super(message, null, false, false);
        this.code = code;
        this.cid = cid;
    }

    public ErrorCode code() {
        return code;
    }

    public String cid() {
        return cid;
    }

    public ServerFrame.Error toFrame() {
        return new ServerFrame.Error(code.wire(), getMessage(), cid);
    }
}
