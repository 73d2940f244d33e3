"""Many emails at once over a few SMTP connections (aiosmtplib), for the messages' batches.

``MailPool(settings, size)`` keeps up to ``size`` connections open on an event loop of its own,
in a thread of its own (the caller's thread may have a loop running already), for as long as
the batch runs (a connection lives on the loop that opened it); ``send(emails)``
sends a list of built emails (app.messaging.smtp.build_email), each connection taking the
next one as it is free, and answers, in the same order, each email's Message-ID or the
MessagingError that says why it did not go. Each email goes as the bytes of its own
flattening (app.messaging.smtp.wire), so long headers stay whole. A connection that fails is dropped and opened
again for the next email. The password is only in the login call, never in a reason.
"""
import asyncio
import ssl
import threading

import aiosmtplib

from app.messaging import NotConfigured, Refused, Unavailable
from app.messaging.smtp import refusal, wire

TIMEOUT = 20  # seconds per SMTP command


class MailPool:
    def __init__(self, settings, size=8):
        self.settings, self.size = settings, max(1, int(size))
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="mailpool",
                                       daemon=True)
        self.thread.start()
        self.idle = []  # open connections, ready for an email

    def send(self, emails):
        """[Message-ID | MessagingError] for each email, in order."""
        if not emails:
            return []
        return self._run(self._send_all(list(emails)))

    def _run(self, coroutine):
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        try:
            return future.result()
        except BaseException:  # the caller interrupted (a job timeout): stop the sends too
            future.cancel()
            raise

    async def _send_all(self, emails):
        results = [None] * len(emails)
        queue = asyncio.Queue()
        for index, email in enumerate(emails):
            queue.put_nowait((index, email))
        await asyncio.gather(*(self._lane(queue, results)
                               for _ in range(min(self.size, len(emails)))))
        return results

    async def _lane(self, queue, results):
        smtp = None
        try:
            while not queue.empty():
                index, email = queue.get_nowait()
                try:
                    smtp = smtp or await self._connection()
                    await smtp.sendmail(email["From"], [email["To"]], wire(email),
                                        timeout=TIMEOUT)
                    results[index] = email["Message-ID"]
                except aiosmtplib.SMTPRecipientsRefused as exc:
                    answer = exc.recipients[0]
                    results[index] = refusal(answer.code, answer.message)
                except aiosmtplib.SMTPAuthenticationError:
                    results[index], smtp = NotConfigured(
                        f"not sent: {self.settings.host} refused the login (check SMTP_USER "
                        "and SMTP_PASSWORD)"), await _dropped(smtp)
                except aiosmtplib.SMTPResponseException as exc:
                    results[index] = _answered(exc)
                    if exc.code == 421:  # the server closes this connection
                        smtp = await _dropped(smtp)
                except (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError) as exc:
                    results[index], smtp = Unavailable(
                        f"mail server {self.settings.host} failed: {type(exc).__name__}"), \
                        await _dropped(smtp)
        finally:
            if smtp is not None:
                self.idle.append(smtp)

    async def _connection(self):
        if self.idle:
            return self.idle.pop()
        s = self.settings
        smtp = aiosmtplib.SMTP(hostname=s.host, port=s.port, timeout=TIMEOUT,
                               start_tls=False, use_tls=False)
        await smtp.connect()
        if s.starttls:
            await smtp.starttls(tls_context=ssl.create_default_context())
        if s.user:
            await smtp.login(s.user, s.password or "")
        return smtp

    def close(self):
        async def quit_all():
            for smtp in self.idle:
                try:
                    await smtp.quit(timeout=5)
                except (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError):
                    smtp.close()
        try:
            self._run(quit_all())
        finally:
            self.idle = []
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=10)
            self.loop.close()


async def _dropped(smtp):
    if smtp is not None:
        smtp.close()
    return None


def _answered(exc):
    said = f"{exc.code} {exc.message}".strip()
    if 400 <= exc.code < 500:
        return Unavailable(f"the mail server deferred the message: {said}")
    return Refused(f"not sent: the mail server refused the message ({said})")
