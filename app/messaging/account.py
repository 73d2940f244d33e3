"""The emails about a person's own account: an invitation and a password-reset link."""
from app.messaging.reminder import EMAIL, Message


def invitation_for(user, link, hours, inviter):
    where = user.label.name if user.label else "Presave"
    role = ", ".join(sorted(user.role_names)) or "a user"
    text = (f"Hi {user.first_name},\n\n{inviter} invited you to {where} on Presave as "
            f"{role}.\n\nOpen this link to choose your password and sign in:\n{link}\n\n"
            f"The link works once, for {hours} hours. If you weren't expecting this, ignore "
            f"this email: nothing happens.\n")
    return Message(EMAIL, user.email, f"You're invited to {where} on Presave", text)


def password_reset_for(user, link, minutes):
    text = (f"Hi {user.first_name},\n\nSomeone (hopefully you) asked to reset the password "
            f"of your Presave account.\n\nOpen this link to choose a new one:\n{link}\n\n"
            f"The link works once, for {minutes} minutes. If it wasn't you, ignore this email: "
            f"your password stays as it is.\n")
    return Message(EMAIL, user.email, "Reset your Presave password", text)
