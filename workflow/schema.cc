#include "workflow/schema.h"

#include <string>

namespace claims::workflow {
namespace {

// Kept by hand beside the loader: the shipped workflow is checked against it in the cli tests
// (tests/cli), so a key added to one and not the other fails there.
constexpr std::string_view kWorkflowSchemaHead = R"json({
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://claims.example/schemas/workflow.schema.json",
  "title": "Claims workflow",
  "description": "A claims workflow: who may do what to a claim in which state, with which inputs, under which SLA timers. Ids are lower_snake_case and unique within their kind; `claimsctl validate FILE` checks the references between parts.",
  "type": "object",
  "additionalProperties": false,
  "required": ["name", "version", "roles", "create", "states", "transitions"],
  "properties": {
    "name": {"type": "string", "minLength": 1, "description": "Workflow name. Claims are pinned to name + version."},
    "version": {"type": "integer", "minimum": 1, "description": "Version of this workflow. A published version is immutable: change the number to publish a change."},
    "description": {"type": "string", "description": "What the process is for, for people reading the file."},
    "products_catalog": {"$ref": "#/$defs/id", "description": "Catalog the claim's `products` field draws its codes from (default: products)."},
    "activities_catalog": {"$ref": "#/$defs/id", "description": "Catalog the claim's `activity` field draws its code from (default: activities)."},
    "evidence_content_types": {
      "type": "array",
      "minItems": 1,
      "uniqueItems": true,
      "description": "Media types evidence documents may have, checked against the declared type and the content itself (default: PDF, PNG, JPEG, GIF, WebP, TIFF, Word, Excel and PowerPoint in both formats, plain text).",
      "items": {"type": "string", "pattern": "^[a-z0-9.+_-]+/[a-z0-9.+_-]+$"}
    },
    "roles": {
      "type": "array",
      "description": "Every role the workflow refers to. Timers act as the role `system`.",
      "items": {"$ref": "#/$defs/role"}
    },
    "catalogs": {
      "type": "array",
      "description": "Code lists: rejection reasons, information-request reasons, products, activities.",
      "items": {"$ref": "#/$defs/catalog"}
    },
    "calendars": {
      "type": "array",
      "description": "Business calendars that timers and `within` guards count days on.",
      "items": {"$ref": "#/$defs/calendar"}
    },
    "create": {"$ref": "#/$defs/create"},
    "states": {
      "type": "array",
      "description": "The states a claim can be in, in the order people should read them.",
      "items": {"$ref": "#/$defs/state"}
    },
    "transitions": {
      "type": "array",
      "description": "The actions that move a claim from state to state.",
      "items": {"$ref": "#/$defs/transition"}
    },
    "timers": {
      "type": "array",
      "description": "SLA timers: started, paused and stopped by entering states; at the deadline they flag a breach or perform a transition as `system`.",
      "items": {"$ref": "#/$defs/timer"}
    },
    "migrate_from": {
      "type": "object",
      "additionalProperties": false,
      "required": ["version"],
      "description": "Lets the running claims of an older version move to this one (MigrateClaims): their states are mapped, the time they entered them kept, and their timers replayed under this version. Without it, a new version applies to new claims only.",
      "properties": {
        "version": {"type": "integer", "minimum": 1, "description": "The older version whose claims may move here; lower than `version`."},
        "states": {
          "type": "object",
          "description": "Old state id -> state of this version, for every old state this version no longer has (or whose claims should move elsewhere). States not named keep their id.",
          "propertyNames": {"pattern": "^[a-z][a-z0-9_]{0,63}$"},
          "additionalProperties": {"$ref": "#/$defs/id"}
        }
      }
    }
  },
  "$defs": {
    "id": {
      "type": "string",
      "pattern": "^[a-z][a-z0-9_]{0,63}$",
      "description": "An id: lower_snake_case, starting with a letter, at most 64 characters."
    },
    "ids": {"type": "array", "items": {"$ref": "#/$defs/id"}},
    "roles": {"type": "array", "items": {"$ref": "#/$defs/id"}, "description": "Role ids (see `roles`)."},
    "states": {"type": "array", "items": {"$ref": "#/$defs/id"}, "description": "State ids (see `states`)."},
    "field": {
      "enum": ["mpn_id", "customer", "customer_contact", "partner_contact", "products", "activity"],
      "description": "A claim field."
    },
    "fields": {"type": "array", "items": {"$ref": "#/$defs/field"}, "description": "Claim fields."},
    "display_name": {"type": "string", "minLength": 1, "description": "Name shown to people."},
    "amount": {"type": "integer", "minimum": 1},
    "duration": {
      "type": "object",
      "description": "A length of time in exactly one unit.",
      "additionalProperties": false,
      "minProperties": 1,
      "maxProperties": 1,
      "properties": {
        "business_days": {"$ref": "#/$defs/amount", "description": "Working days on the calendar: weekends and holidays do not count; the deadline is the end of the N-th working day."},
        "days": {"$ref": "#/$defs/amount", "description": "Calendar days: the same local time N days later, across daylight-saving changes."},
        "hours": {"$ref": "#/$defs/amount", "description": "Elapsed hours."}
      }
    },
    "event": {
      "description": "An event to emit: its type, or a type with fixed attributes.",
      "oneOf": [
        {"$ref": "#/$defs/id"},
        {
          "type": "object",
          "additionalProperties": false,
          "required": ["type"],
          "properties": {
            "type": {"$ref": "#/$defs/id", "description": "Event type, e.g. rejection_notice."},
            "attributes": {
              "type": "object",
              "description": "Fixed attributes sent with the event; the service adds the claim, partner, state and time.",
              "propertyNames": {"pattern": "^[a-z][a-z0-9_]{0,63}$"},
              "additionalProperties": {"type": "string"}
            },
            "reasons_from": {"$ref": "#/$defs/id", "description": "A catalog whose standing reasons (the claim's last reasons from it, once the action is applied) the event carries as its reasons attribute, e.g. rejection_reasons on a rejection notice sent by an action that takes no reasons."},
            "deadline_of": {"type": "array", "items": {"$ref": "#/$defs/id"}, "description": "Transitions with a within guard whose window the event announces: attribute <transition>_deadline is the instant it closes, counted from the claim entering the state it is in once the action is applied, e.g. [dispute] on a rejection notice."}
          }
        }
      ]
    },
    "events": {"type": "array", "items": {"$ref": "#/$defs/event"}, "description": "Events to emit, in order."},
    "requirement": {
      "enum": ["required", "optional", "forbidden"],
      "description": "Whether the caller must, may or must not give this."
    },
    "role": {
      "type": "object",
      "additionalProperties": false,
      "required": ["id", "display_name", "perspective"],
      "properties": {
        "id": {"$ref": "#/$defs/id", "description": "Role id, as the caller's credentials name it."},
        "display_name": {"$ref": "#/$defs/display_name"},
        "perspective": {
          "enum": ["partner", "reviewer", "customer", "system"],
          "description": "Whose side the role is on: decides comment visibility and history labels. The role `system` must have perspective system."
        }
      }
    },
    "catalog": {
      "type": "object",
      "additionalProperties": false,
      "required": ["id", "entries"],
      "properties": {
        "id": {"$ref": "#/$defs/id", "description": "Catalog id, e.g. rejection_reasons."},
        "display_name": {"$ref": "#/$defs/display_name"},
        "entries": {
          "type": "array",
          "minItems": 1,
          "description": "The codes of the catalog.",
          "items": {
            "type": "object",
            "additionalProperties": false,
            "required": ["id", "display_name"],
            "properties": {
              "id": {"$ref": "#/$defs/id", "description": "The code callers send."},
              "display_name": {"$ref": "#/$defs/display_name"}
            }
          }
        }
      }
    },
)json";

// A calendar's fields, in the $defs of both schemas: a workflow may give them inline, a
// calendar file gives them alone.
constexpr std::string_view kCalendarDefs =
    R"json("time_zone": {"type": "string", "minLength": 1, "description": "IANA time zone, e.g. America/Los_Angeles: days start and end at local midnight."},
    "weekend": {
      "type": "array",
      "description": "Days of the week that are not working days.",
      "items": {"enum": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]}
    },
    "holidays": {
      "type": "array",
      "description": "Dates that are not working days: YYYY-MM-DD, or {date, name}.",
      "items": {
        "oneOf": [
          {"$ref": "#/$defs/date"},
          {
            "type": "object",
            "additionalProperties": false,
            "required": ["date"],
            "properties": {
              "date": {"$ref": "#/$defs/date"},
              "name": {"type": "string", "description": "The holiday's name, for people."}
            }
          }
        ]
      }
    },
    "date": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "description": "A date, YYYY-MM-DD."})json";

constexpr std::string_view kWorkflowSchemaTail = R"json(,
    "calendar": {
      "type": "object",
      "additionalProperties": false,
      "required": ["id"],
      "description": "A business calendar: either `include` a calendar file, or give time_zone, weekend and holidays here.",
      "properties": {
        "id": {"$ref": "#/$defs/id", "description": "Calendar id that timers and guards name."},
        "include": {"type": "string", "minLength": 1, "description": "Path of a calendar file, relative to this file, e.g. ../calendars/us.yaml."},
        "time_zone": {"$ref": "#/$defs/time_zone"},
        "weekend": {"$ref": "#/$defs/weekend"},
        "holidays": {"$ref": "#/$defs/holidays"}
      },
      "oneOf": [
        {"required": ["include"], "not": {"anyOf": [{"required": ["time_zone"]}, {"required": ["weekend"]}, {"required": ["holidays"]}]}},
        {"required": ["time_zone", "weekend"], "not": {"required": ["include"]}}
      ]
    },
    "create": {
      "type": "object",
      "additionalProperties": false,
      "required": ["roles", "initial_state"],
      "description": "How claims come into being.",
      "properties": {
        "roles": {"$ref": "#/$defs/roles", "description": "Roles that may create a claim."},
        "initial_state": {"$ref": "#/$defs/id", "description": "State a new claim starts in; every state must be reachable from it."},
        "required_fields": {"$ref": "#/$defs/fields", "description": "Fields a new claim must have."},
        "events": {"$ref": "#/$defs/events", "description": "Events emitted when a claim is created."}
      }
    },
    "state": {
      "type": "object",
      "additionalProperties": false,
      "required": ["id", "display_name"],
      "properties": {
        "id": {"$ref": "#/$defs/id", "description": "State id."},
        "display_name": {"$ref": "#/$defs/display_name"},
        "description": {"type": "string", "description": "What the state means, for people."},
        "terminal": {"type": "boolean", "description": "No transition leaves a terminal state; every other state needs one."},
        "editable": {
          "type": "array",
          "description": "Which roles may change which fields in this state. No rule: no edits.",
          "items": {
            "type": "object",
            "additionalProperties": false,
            "required": ["roles", "fields"],
            "properties": {
              "roles": {"$ref": "#/$defs/roles", "description": "Roles the rule applies to."},
              "fields": {"$ref": "#/$defs/fields", "description": "Fields they may change."}
            }
          }
        },
        "evidence_roles": {"$ref": "#/$defs/roles", "description": "Roles that may upload evidence in this state."},
        "comment_roles": {"$ref": "#/$defs/roles", "description": "Roles that may comment in this state."}
      }
    },
    "reason_set": {
      "type": "object",
      "additionalProperties": false,
      "required": ["catalog", "codes"],
      "properties": {
        "catalog": {"$ref": "#/$defs/id", "description": "Catalog the codes come from."},
        "codes": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/id"}, "description": "Codes of that catalog."}
      }
    },
    "guard": {
      "type": "object",
      "description": "A condition the transition needs: exactly one of the kinds below, with an optional id and message.",
      "additionalProperties": false,
      "properties": {
        "id": {"$ref": "#/$defs/id", "description": "Names the guard in refusals (default: its kind)."},
        "message": {"type": "string", "description": "Told to the caller when the guard does not hold."},
        "min_evidence": {
          "type": "object",
          "additionalProperties": false,
          "required": ["count"],
          "description": "The claim has at least `count` evidence documents.",
          "properties": {"count": {"$ref": "#/$defs/amount", "description": "Documents needed."}}
        },
        "within": {
          "type": "object",
          "additionalProperties": false,
          "required": ["calendar"],
          "description": "At most this long since the claim entered its current state.",
          "properties": {
            "business_days": {"$ref": "#/$defs/amount", "description": "Working days on the calendar."},
            "days": {"$ref": "#/$defs/amount", "description": "Calendar days in the calendar's time zone."},
            "hours": {"$ref": "#/$defs/amount", "description": "Elapsed hours."},
            "calendar": {"$ref": "#/$defs/id", "description": "Calendar to count on."}
          },
          "oneOf": [{"required": ["business_days"]}, {"required": ["days"]}, {"required": ["hours"]}]
        },
        "last_reason_in": {"$ref": "#/$defs/reason_set", "description": "The last reasons given from the catalog include one of the codes."},
        "last_reason_not_in": {"$ref": "#/$defs/reason_set", "description": "The last reasons given from the catalog include none of the codes."},
        "field_present": {
          "type": "object",
          "additionalProperties": false,
          "required": ["field"],
          "description": "The claim field is set.",
          "properties": {"field": {"$ref": "#/$defs/field"}}
        },
        "max_times": {
          "type": "object",
          "additionalProperties": false,
          "required": ["count"],
          "description": "The action was taken fewer than `count` times before.",
          "properties": {
            "count": {"$ref": "#/$defs/amount", "description": "How many times it may be taken."},
            "action": {"$ref": "#/$defs/id", "description": "Transition to count (default: this one)."}
          }
        }
      },
      "oneOf": [
        {"required": ["min_evidence"]},
        {"required": ["within"]},
        {"required": ["last_reason_in"]},
        {"required": ["last_reason_not_in"]},
        {"required": ["field_present"]},
        {"required": ["max_times"]}
      ]
    },
    "transition": {
      "type": "object",
      "additionalProperties": false,
      "required": ["id", "display_name", "from", "to", "roles"],
      "properties": {
        "id": {"$ref": "#/$defs/id", "description": "Action id callers send."},
        "display_name": {"$ref": "#/$defs/display_name"},
        "from": {"$ref": "#/$defs/states", "minItems": 1, "description": "States the action is available in."},
        "to": {"$ref": "#/$defs/id", "description": "State the claim moves to."},
        "roles": {"$ref": "#/$defs/roles", "minItems": 1, "description": "Roles that may take the action; `system` for actions timers perform."},
        "inputs": {
          "type": "object",
          "additionalProperties": false,
          "description": "What the caller gives with the action.",
          "properties": {
            "reasons": {
              "type": "object",
              "additionalProperties": false,
              "required": ["catalog"],
              "description": "Reason codes the caller picks. Absent: reasons are not accepted.",
              "properties": {
                "catalog": {"$ref": "#/$defs/id", "description": "Catalog the codes come from."},
                "codes": {"$ref": "#/$defs/ids", "description": "The codes callers may pick, when only part of the catalog applies. Absent: the whole catalog."},
                "min": {"type": "integer", "minimum": 0, "description": "Fewest codes (default 1)."},
                "max": {"type": "integer", "minimum": 1, "description": "Most codes (default: min)."}
              }
            },
            "comment": {"$ref": "#/$defs/requirement", "description": "A comment (default optional)."},
            "new_evidence": {"$ref": "#/$defs/requirement", "description": "Evidence uploaded since entering the state (default optional)."},
            "comment_or_new_evidence": {"type": "boolean", "description": "At least one of a comment or new evidence."}
          }
        },
        "implied_reasons": {"$ref": "#/$defs/reason_set", "description": "Reasons the action always records, e.g. partner_request for a withdrawal."},
        "guards": {"type": "array", "items": {"$ref": "#/$defs/guard"}, "description": "Conditions that must all hold."},
        "events": {"$ref": "#/$defs/events", "description": "Events emitted when the action is taken."}
      }
    },
    "timer": {
      "type": "object",
      "additionalProperties": false,
      "required": ["id", "duration", "calendar", "start_on", "on_deadline"],
      "properties": {
        "id": {"$ref": "#/$defs/id", "description": "Timer id, unique per claim."},
        "display_name": {"$ref": "#/$defs/display_name"},
        "duration": {"$ref": "#/$defs/duration", "description": "Time from start to deadline."},
        "calendar": {"$ref": "#/$defs/id", "description": "Calendar the duration is counted on."},
        "start_on": {"$ref": "#/$defs/states", "minItems": 1, "description": "Entering one of these states starts the timer."},
        "pause_in": {"$ref": "#/$defs/states", "description": "The timer is paused while the claim is in these states and resumes with the time it had left."},
        "stop_on": {"$ref": "#/$defs/states", "description": "Entering one of these states cancels the timer. Every terminal state the timer can reach belongs here."},
        "warning": {
          "type": "object",
          "additionalProperties": false,
          "required": ["before"],
          "description": "A warning some time before the deadline.",
          "properties": {
            "before": {"$ref": "#/$defs/duration", "description": "How long before the deadline."},
            "events": {"$ref": "#/$defs/events", "description": "Events emitted with the warning."}
          }
        },
        "on_deadline": {
          "type": "object",
          "additionalProperties": false,
          "description": "What happens at the deadline: flag a `breach`, or perform a `transition` as `system`.",
          "properties": {
            "breach": {
              "type": "object",
              "additionalProperties": false,
              "description": "Flag the claim's SLA as breached.",
              "properties": {"events": {"$ref": "#/$defs/events", "description": "Escalation events."}}
            },
            "transition": {"$ref": "#/$defs/id", "description": "Transition to perform; it must leave every state the timer runs in and list the role system."},
            "reasons": {"$ref": "#/$defs/ids", "description": "Reason codes the system gives the transition."},
            "events": {"$ref": "#/$defs/events", "description": "Events emitted at the deadline, besides the transition's."}
          },
          "oneOf": [
            {"required": ["breach"], "not": {"anyOf": [{"required": ["transition"]}, {"required": ["reasons"]}, {"required": ["events"]}]}},
            {"required": ["transition"], "not": {"required": ["breach"]}}
          ]
        }
      }
    }
  }
}
)json";

constexpr std::string_view kCalendarSchemaHead = R"json({
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://claims.example/schemas/calendar.schema.json",
  "title": "Business calendar",
  "description": "A business calendar that workflows include: `calendars: [{id: business, include: ../calendars/us.yaml}]`.",
  "type": "object",
  "additionalProperties": false,
  "required": ["time_zone", "weekend"],
  "properties": {
    "description": {"type": "string", "description": "What the calendar covers, for people."},
    "time_zone": {"$ref": "#/$defs/time_zone"},
    "weekend": {"$ref": "#/$defs/weekend"},
    "holidays": {"$ref": "#/$defs/holidays"}
  },
  "$defs": {
)json";

constexpr std::string_view kCalendarSchemaTail = R"json(
  }
}
)json";

}  // namespace

std::string_view WorkflowJsonSchema() {
  static const std::string* const schema =
      new std::string(std::string(kWorkflowSchemaHead) + "\n    " + std::string(kCalendarDefs) +
                      std::string(kWorkflowSchemaTail));
  return *schema;
}

std::string_view CalendarJsonSchema() {
  static const std::string* const schema =
      new std::string(std::string(kCalendarSchemaHead) + "    " + std::string(kCalendarDefs) +
                      std::string(kCalendarSchemaTail));
  return *schema;
}

}  // namespace claims::workflow
