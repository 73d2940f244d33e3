"""Data retention: each label's limits (app.retention.policy), the rules that find what is
past them and what becomes of it (app.retention.rules), and the run that applies them, dry or
for real (app.retention.run): nightly from app.jobs.retention, by hand with
`flask --app run retention`, shown on Account → Data retention."""
