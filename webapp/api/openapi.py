"""The OpenAPI 3.1 document of /api/v1; the tests validate every response against its schemas."""
from __future__ import annotations

from kb.config import LANGUAGES

NULLABLE_STRING = {"type": ["string", "null"]}
TIME = {"type": ["string", "null"], "format": "date-time"}

SCHEMAS = {
    "Error": {
        "type": "object", "required": ["error", "status"],
        "properties": {"error": {"type": "string"}, "status": {"type": "integer"},
                       "fields": {"type": "object", "additionalProperties": {"type": "string"}}},
    },
    "SearchResult": {
        "type": "object", "required": ["total", "page", "results", "suggestion"],
        "properties": {
            "total": {"type": "integer"}, "page": {"type": "integer"}, "pages": {"type": "integer"},
            "suggestion": NULLABLE_STRING,
            "facets": {"type": "object", "additionalProperties": {
                "type": "object", "additionalProperties": {"type": "integer"}}},
            "results": {"type": "array", "items": {
                "type": "object",
                "required": ["number", "title", "snippet_problem", "snippet_solution", "product", "category",
                             "resolved_at", "score", "url"],
                "properties": {
                    "number": {"type": "integer"}, "title": {"type": "string"},
                    "snippet_problem": {"type": "string"}, "snippet_solution": {"type": "string"},
                    "product": {"type": "string"}, "category": {"type": "string"}, "language": {"type": "string"},
                    "resolved_at": TIME, "score": {"type": "number"},
                    "match": {"type": "number", "minimum": 0, "maximum": 1}, "url": {"type": "string"}}}},
        },
    },
    "Suggestions": {
        "type": "object", "required": ["results"],
        "properties": {"results": {"type": "array", "maxItems": 10, "items": {
            "type": "object", "required": ["number", "title", "url"],
            "properties": {"number": {"type": "integer"}, "title": {"type": "string"},
                           "language": {"type": "string"}, "url": {"type": "string"}}}}},
    },
    "ActiveGrants": {
        "type": "object", "required": ["organisation", "active", "grants"],
        "properties": {"organisation": {"type": "string"}, "active": {"type": "boolean"}, "grants": {
            "type": "array", "items": {
                "type": "object", "required": ["id", "starts_at", "ends_at", "areas", "requested_by"],
                "properties": {"id": {"type": "integer"}, "starts_at": TIME, "ends_at": TIME,
                               "areas": {"type": "array", "items": {"type": "string"}},
                               "requested_by": {"type": "string"}}}}},
    },
    "TicketSummary": {
        "type": "object",
        "required": ["number", "subject", "status", "language", "product", "urgent", "created_at", "url"],
        "properties": {
            "number": {"type": "integer"}, "subject": {"type": "string"},
            "status": {"enum": ["new", "in_progress", "waiting", "resolved", "closed", "reopened"]},
            "language": {"enum": list(LANGUAGES)}, "product": NULLABLE_STRING, "urgent": {"type": "boolean"},
            "organisation": NULLABLE_STRING, "end_customer": NULLABLE_STRING,
            "created_at": TIME, "updated_at": TIME, "url": {"type": "string"}},
    },
    "Attachment": {
        "type": "object", "required": ["id", "filename", "content_type", "size", "url"],
        "properties": {"id": {"type": "string"}, "filename": {"type": "string"},
                       "content_type": {"type": "string"}, "size": {"type": "integer"}, "created_at": TIME,
                       "url": {"type": "string"}},
    },
    "Comment": {
        "type": "object", "required": ["id", "author", "body", "internal", "created_at", "attachments"],
        "properties": {"id": {"type": "integer"}, "author": NULLABLE_STRING, "body": {"type": "string"},
                       "internal": {"type": "boolean"}, "created_at": TIME,
                       "attachments": {"type": "array", "items": {"$ref": "#/components/schemas/Attachment"}}},
    },
    "Ticket": {
        "allOf": [{"$ref": "#/components/schemas/TicketSummary"}, {
            "type": "object",
            "required": ["description", "priority", "reply_method", "comments", "attachments"],
            "properties": {
                **{name: NULLABLE_STRING for name in (
                    "contact", "registered_by", "category", "routine", "version", "ticket_type", "operating_system",
                    "application", "error_message", "affected_usernames", "company_numbers", "report_name",
                    "solution", "assigned_to")},
                "description": {"type": "string"}, "resolved_at": TIME,
                "priority": {"enum": ["low", "normal", "high", "critical"]},
                "reply_method": {"enum": ["email", "none"]},
                "comments": {"type": "array", "items": {"$ref": "#/components/schemas/Comment"}},
                "attachments": {"type": "array", "items": {"$ref": "#/components/schemas/Attachment"}}}}],
    },
    "TicketList": {
        "type": "object", "required": ["results"],
        "properties": {"results": {"type": "array", "items": {"$ref": "#/components/schemas/TicketSummary"}}},
    },
    "FoundTickets": {
        "type": "object", "required": ["total", "page", "pages", "results"],
        "properties": {"total": {"type": "integer"}, "page": {"type": "integer"}, "pages": {"type": "integer"},
                       "results": {"type": "array", "items": {"allOf": [
                           {"$ref": "#/components/schemas/TicketSummary"},
                           {"type": "object", "required": ["snippet", "score"],
                            "properties": {"snippet": {"type": "string", "description": "HTML, words marked"},
                                           "score": {"type": "number"}}}]}}},
    },
    "CannedAnswer": {
        "type": "object", "required": ["id", "title", "body_sv", "body_fi", "updated_at"],
        "properties": {"id": {"type": "integer"}, "title": {"type": "string"}, "body_sv": {"type": "string"},
                       "body_fi": {"type": "string"}, "updated_at": TIME},
    },
    "CannedAnswerList": {
        "type": "object", "required": ["results"],
        "properties": {"results": {"type": "array", "items": {"$ref": "#/components/schemas/CannedAnswer"}}},
    },
    "CannedAnswerFields": {
        "type": "object", "description": "Support only. A title and a text in at least one language; on a change, "
                                         "fields left out stay as they are.",
        "properties": {"title": {"type": "string"}, "body_sv": {"type": "string"}, "body_fi": {"type": "string"}},
    },
    "Report": {
        "type": "object", "required": ["from", "to"],
        "description": "tickets: weeks (opened, solved), by_product, by_language, by_channel, detail; times: priorities "
                       "(hours: median, p90, target, share met); backlog: ages, statuses; usage: weeks (searches, "
                       "zero_results), zero_result_queries, most_opened, entries; grants: grants (asked, per status, used)",
        "properties": {"from": {"type": "string", "format": "date"}, "to": {"type": "string", "format": "date"}},
        "additionalProperties": True,
    },
    "OrganisationUser": {
        "type": "object", "required": ["id", "username", "name", "organisation", "role", "active"],
        "properties": {"id": {"type": "integer"}, "username": {"type": "string"}, "name": {"type": "string"},
                       "email": NULLABLE_STRING, "phone": NULLABLE_STRING, "organisation": {"type": "string"},
                       "role": {"enum": ["customer", "customer_admin", "partner"]}, "language": {"enum": list(LANGUAGES)},
                       "may_approve_grants": {"type": "boolean"}, "active": {"type": "boolean"},
                       "two_factor": {"type": "boolean"}},
    },
    "OrganisationUserList": {
        "type": "object", "required": ["results"],
        "properties": {"results": {"type": "array", "items": {"$ref": "#/components/schemas/OrganisationUser"}}},
    },
    "Invitation": {
        "type": "object", "required": ["name", "email"],
        "properties": {"name": {"type": "string"}, "email": {"type": "string"}, "username": {"type": "string"},
                       "phone": {"type": "string"}, "language": {"enum": list(LANGUAGES)},
                       "role": {"enum": ["customer", "customer_admin", "partner"]},
                       "may_approve_grants": {"type": "boolean"},
                       "organisation": {"type": "string", "description": "key; default: your own"}},
    },
    "UserChange": {
        "type": "object",
        "properties": {"active": {"type": "boolean"}, "role": {"enum": ["customer", "customer_admin", "partner"]},
                       "may_approve_grants": {"type": "boolean"}},
    },
    "Event": {
        "type": "object", "required": ["id", "kind", "at"],
        "properties": {"id": {"type": "integer"}, "kind": {"type": "string"}, "field": NULLABLE_STRING,
                       "old_value": NULLABLE_STRING, "new_value": NULLABLE_STRING, "actor": NULLABLE_STRING,
                       "at": TIME},
    },
    "EventList": {
        "type": "object", "required": ["results"],
        "properties": {"results": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}}},
    },
    "NewTicket": {
        "type": "object", "required": ["subject", "description", "product"],
        "properties": {
            **{name: {"type": "string"} for name in (
                "subject", "description", "product", "category", "routine", "version", "ticket_type",
                "operating_system", "application", "error_message", "affected_usernames", "company_numbers",
                "report_name")},
            "language": {"enum": list(LANGUAGES)}, "priority": {"enum": ["low", "normal", "high", "critical"]},
            "reply_method": {"enum": ["email", "none"]}, "urgent": {"type": "boolean"},
            "contact": {"type": "string", "description": "username of a user of your organisation"},
            "end_customer": {"type": "string", "description": "key of one of a partner's end customers"}},
    },
    "NewComment": {"type": "object", "required": ["body"], "properties": {"body": {"type": "string"}}},
    "TicketUpdate": {
        "type": "object", "description": "Support only. Fields left out stay as they are; \"\" or null clears.",
        "properties": {
            **{name: NULLABLE_STRING for name in (
                "product", "category", "routine", "version", "ticket_type", "operating_system")},
            "assigned_to": {**NULLABLE_STRING, "description": "username of support staff; null: back to the queue"},
            "contact": {"type": "string", "description": "username of a user of the ticket's organisation"},
            "priority": {"enum": ["low", "normal", "high", "critical"]},
            "status": {"enum": ["new", "in_progress", "waiting", "resolved", "closed", "reopened"]}}},
    "Merge": {"type": "object", "required": ["into"], "properties": {"into": {"type": "integer"}}},
}


def _json(schema: str, description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


ERRORS = {"401": _json("Error", "Not signed in"), "404": _json("Error", "No such ticket, or not yours to see")}
NUMBER = {"name": "number", "in": "path", "required": True, "schema": {"type": "integer"}}


def document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "kb support portal API", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer",
                                          "description": "A personal API token from the profile page"},
                                "session": {"type": "apiKey", "in": "cookie", "name": "session"}},
        },
        "security": [{"token": []}, {"session": []}],
        "paths": {
            "/search": {"get": {
                "summary": "Search the experience database",
                "parameters": [{"name": n, "in": "query", "schema": s} for n, s in (
                    ("q", {"type": "string"}), ("mode", {"enum": ["free", "problem", "solution"]}),
                    ("lang", {"enum": [*LANGUAGES, "all"]}), ("page", {"type": "integer"}),
                    ("product", {"type": "string"}),
                    ("min_match", {"type": "number", "minimum": 0, "maximum": 1}))],
                "responses": {"200": _json("SearchResult", "Results"), **ERRORS}}},
            "/suggest": {"get": {
                "summary": "Up to 10 titles for as-you-type",
                "parameters": [{"name": "q", "in": "query", "schema": {"type": "string"}}],
                "responses": {"200": _json("Suggestions", "Titles"), **ERRORS}}},
            "/tickets": {
                "get": {"summary": "My tickets, or my organisation's",
                        "parameters": [{"name": "scope", "in": "query", "schema": {"enum": ["mine", "organisation"]}}],
                        "responses": {"200": _json("TicketList", "Tickets"), **ERRORS}},
                "post": {"summary": "Register a ticket",
                         "requestBody": {"content": {
                             "application/json": {"schema": {"$ref": "#/components/schemas/NewTicket"}},
                             "multipart/form-data": {"schema": {"allOf": [
                                 {"$ref": "#/components/schemas/NewTicket"},
                                 {"type": "object", "properties": {"attachments": {
                                     "type": "array", "items": {"type": "string", "format": "binary"}}}}]}}}},
                         "responses": {"201": _json("Ticket", "Registered"),
                                       "422": _json("Error", "Invalid fields"), **ERRORS}}},
            "/tickets/find": {"get": {
                "summary": "Support: find any ticket, open or closed, published or not (comments and internal notes "
                           "included); no words: newest first",
                "parameters": [{"name": n, "in": "query", "schema": s, **({"description": d} if d else {})}
                               for n, s, d in (
                    ("q", {"type": "string"}, None), ("organisation", {"type": "integer"}, "organisation id"),
                    ("status", {"enum": ["new", "in_progress", "waiting", "resolved", "closed", "reopened"]}, None),
                    ("product", {"type": "string"}, "product code"),
                    ("from", {"type": "string", "format": "date"}, "registered on or after"),
                    ("to", {"type": "string", "format": "date"}, "registered on or before"),
                    ("order", {"enum": ["relevance", "newest"]}, None), ("page", {"type": "integer"}, None))],
                "responses": {"200": _json("FoundTickets", "Tickets"), "422": _json("Error", "A date is not valid"),
                              **ERRORS}}},
            "/tickets/{number}": {
                "get": {"summary": "One ticket with its comments and attachments", "parameters": [NUMBER],
                        "responses": {"200": _json("Ticket", "The ticket"), **ERRORS}},
                "patch": {"summary": "Support: assign, set the status, classify, correct priority and contact",
                          "parameters": [NUMBER],
                          "requestBody": {"content": {"application/json": {
                              "schema": {"$ref": "#/components/schemas/TicketUpdate"}}}},
                          "responses": {"200": _json("Ticket", "The ticket as it is now"),
                                        "422": _json("Error", "Invalid fields"), **ERRORS}}},
            "/tickets/{number}/merge": {"post": {
                "summary": "Support: merge this ticket, a duplicate, into another of the same customer",
                "parameters": [NUMBER],
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Merge"}}}},
                "responses": {"200": _json("Ticket", "The ticket kept"), "422": _json("Error", "Invalid"), **ERRORS}}},
            "/tickets/{number}/comments": {"post": {
                "summary": "Comment on a ticket (JSON, or multipart with attachments)", "parameters": [NUMBER],
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewComment"}}}},
                "responses": {"201": _json("Comment", "Saved"), "422": _json("Error", "Invalid"), **ERRORS}}},
            "/tickets/{number}/events": {"get": {
                "summary": "The change log", "parameters": [NUMBER],
                "responses": {"200": _json("EventList", "Events"), **ERRORS}}},
            "/canned-answers": {
                "get": {"summary": "Support: the canned answers", "responses": {
                    "200": _json("CannedAnswerList", "Canned answers"), **ERRORS}},
                "post": {"summary": "Support: a new canned answer", "requestBody": {"content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/CannedAnswerFields"}}}},
                    "responses": {"201": _json("CannedAnswer", "Saved"), "422": _json("Error", "Invalid fields"),
                                  **ERRORS}}},
            "/canned-answers/{id}": {
                "patch": {"summary": "Support: change a canned answer",
                          "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                          "requestBody": {"content": {"application/json": {
                              "schema": {"$ref": "#/components/schemas/CannedAnswerFields"}}}},
                          "responses": {"200": _json("CannedAnswer", "Saved"),
                                        "422": _json("Error", "Invalid fields"), **ERRORS}},
                "delete": {"summary": "Support: delete a canned answer",
                           "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                           "responses": {"204": {"description": "Deleted"}, **ERRORS}}},
            "/reports/{figure}": {"get": {
                "summary": "Support, administrators and customer admins (their organisations): a figure of the Reports "
                           "page; usage (the experience database's) is for support and administrators only",
                "parameters": [{"name": "figure", "in": "path", "required": True,
                                "schema": {"enum": ["tickets", "times", "backlog", "usage", "grants"]}},
                               {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"}},
                               {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}},
                               {"name": "product", "in": "query", "schema": {"type": "string"},
                                "description": "product code"}],
                "responses": {"200": _json("Report", "The figure"), "422": _json("Error", "A date is not valid"),
                              **ERRORS}}},
            "/users": {
                "get": {"summary": "Customer admins: the users of an organisation you manage",
                        "parameters": [{"name": "organisation", "in": "query", "schema": {"type": "string"},
                                        "description": "key; default: your own"}],
                        "responses": {"200": _json("OrganisationUserList", "Users"), **ERRORS}},
                "post": {"summary": "Customer admins: invite a user (mailed a link to choose a password)",
                         "requestBody": {"content": {"application/json": {
                             "schema": {"$ref": "#/components/schemas/Invitation"}}}},
                         "responses": {"201": _json("OrganisationUser", "Invited"),
                                       "422": _json("Error", "Invalid fields"), **ERRORS}}},
            "/users/{id}": {"patch": {
                "summary": "Customer admins: deactivate or reactivate, change the role or the approval right",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/UserChange"}}}},
                "responses": {"200": _json("OrganisationUser", "The user as they are now"),
                              "422": _json("Error", "Invalid"), **ERRORS}}},
            "/grants/active": {"get": {
                "summary": "Whether support may now read an organisation's data (support asks of any, a customer of its own)",
                "parameters": [{"name": "organisation", "in": "query", "required": True,
                                "schema": {"type": "string"}, "description": "The organisation's key or id"}],
                "responses": {"200": _json("ActiveGrants", "The active remote-access grants"), **ERRORS}}},
            "/tickets/{number}/attachments/{id}": {"get": {
                "summary": "Download an attachment (always as a download)",
                "parameters": [NUMBER, {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "The file",
                                      "content": {"application/octet-stream": {"schema": {"type": "string",
                                                                                          "format": "binary"}}}},
                              **ERRORS}}},
        },
    }
