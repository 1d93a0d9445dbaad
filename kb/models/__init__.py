"""The data model. Importing this package registers every table on Base.metadata."""
from .base import Base, utcnow
from .catalogue import CatalogueEntry, CatalogueKind
from .operations import (CannedAnswer, Counter, DisruptionNotice, GrantAuditEntry, GrantStatus, IndexNode, IndexQueueEntry,
                         MailReceipt, OutboxMessage,
                         OutboxStatus, RemoteAccessGrant, EntryView, SearchDay, ZeroResultQuery)
from .organisation import (AccountLink, AccountRequest, ApiToken, Licence, LoginSession, LoginThrottle, Organisation,
                           OrganisationKind, RecoveryCode, Role, User, UserAuditEntry)
from .ticket import (OPEN_STATUSES, SOLVED_STATUSES, Attachment, AttachmentContent, Comment, Deflection, HelpfulVote, Priority,
                     ReplyMethod, StagedFile, Status, Ticket, TicketEvent, WorkProposal, WorkStatus)

__all__ = [
    "OPEN_STATUSES", "SOLVED_STATUSES", "AccountLink", "AccountRequest", "ApiToken", "Attachment", "AttachmentContent", "Base", "Deflection", "CannedAnswer", "CatalogueEntry", "HelpfulVote", "CatalogueKind", "Comment", "Counter", "DisruptionNotice", "EntryView", "SearchDay", "ZeroResultQuery",
    "GrantAuditEntry", "GrantStatus", "IndexNode", "IndexQueueEntry", "Licence", "LoginSession", "LoginThrottle", "MailReceipt", "Organisation", "OrganisationKind",
    "OutboxMessage", "OutboxStatus", "Priority", "RecoveryCode", "RemoteAccessGrant", "ReplyMethod", "Role", "StagedFile", "Status",
    "Ticket", "TicketEvent", "User", "UserAuditEntry", "WorkProposal", "WorkStatus", "utcnow",
]
