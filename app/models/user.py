from flask_appbuilder.security.sqla.models import User
from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column, relationship


class PresaveUser(User):
    """FAB's user with its label (null only for Admin) and, for Artist users, its artist.

    Not a LabelOwned row: the login path reads users before any scope exists.
    The scoping module filters it by label whenever a label scope is active.
    """

    label_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("label.id", ondelete="CASCADE"), index=True)
    artist_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("artist.id", ondelete="SET NULL"), index=True)

    label = relationship("Label", foreign_keys=[label_id])
    artist = relationship("Artist", foreign_keys=[artist_id])

    @property
    def role_names(self):
        return {role.name for role in self.roles}
