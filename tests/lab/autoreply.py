#!/usr/bin/python3
"""tests/lab/autoreply.py - the lab's auto-responder (stdlib only).

Postfix's pipe transport runs it for responder@sut.test with the envelope
sender as argument and the message on stdin.  It answers as a vacation
responder does (RFC 3834): "Auto: <subject>", In-Reply-To and References
naming the message, Auto-Submitted: auto-replied, the null envelope sender,
sent back through the lab Postfix on 127.0.0.21:25.  Mail that is itself
automatic, or has no sender, gets no answer.
"""
import email
import email.policy
import email.utils
import smtplib
import sys

SMTP_HOST = "127.0.0.21"


def main():
    sender = sys.argv[1] if len(sys.argv) > 1 else ""
    msg = email.message_from_binary_file(sys.stdin.buffer,
                                         policy=email.policy.compat32)
    if not sender or msg.get("Auto-Submitted", "no").lower() != "no":
        return 0
    subject = str(msg.get("Subject", ""))
    msgid = str(msg.get("Message-ID", "")).strip()
    reply = email.message.Message()
    reply["From"] = "<responder@sut.test>"
    reply["To"] = "<%s>" % sender
    reply["Subject"] = "Auto: " + subject
    reply["Date"] = email.utils.formatdate(usegmt=True)
    reply["Message-ID"] = email.utils.make_msgid(domain="sut.test")
    if msgid:
        reply["In-Reply-To"] = msgid
        reply["References"] = msgid
    reply["Auto-Submitted"] = "auto-replied"
    reply.set_payload("I am away; your message has arrived.\r\n")
    with smtplib.SMTP(SMTP_HOST, 25, timeout=10) as s:
        s.sendmail("<>", [sender], reply.as_bytes())
    return 0


if __name__ == "__main__":
    sys.exit(main())
