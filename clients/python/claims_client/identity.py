"""Who calls claimsd: a bearer token (auth.mode jwt) or the x-claims-* headers that a trusted
front end sets (auth.mode metadata), as the README's Authentication section describes."""

from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple


@dataclass(frozen=True)
class Identity:
    token: Optional[str] = None
    actor: Optional[str] = None
    roles: Sequence[str] = field(default_factory=tuple)
    partner: Optional[str] = None
    customer_tenant: Optional[str] = None

    @classmethod
    def bearer(cls, token: str) -> "Identity":
        return cls(token=token)

    def metadata(self) -> List[Tuple[str, str]]:
        """The call metadata that carries this identity."""
        pairs = []
        if self.token:
            pairs.append(("authorization", "Bearer " + self.token))
        if self.actor:
            pairs.append(("x-claims-actor", self.actor))
        if self.roles:
            pairs.append(("x-claims-roles", ",".join(self.roles)))
        if self.partner:
            pairs.append(("x-claims-partner", self.partner))
        if self.customer_tenant:
            pairs.append(("x-claims-customer-tenant", self.customer_tenant))
        return pairs
