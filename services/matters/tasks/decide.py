"""The push check, 清单之外无事项 (seed 004 §二): pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from services.matters.lists.decide import CommunityList
from services.matters.tasks.events import TaskPushed, TaskRefused

RULE = "清单之外无事项 (seed 004 §二)"


@dataclass(frozen=True)
class PushTask:
    command_type = "PushTask"
    code: str
    matter_id: str
    department: str
    title: str
    due: date | None = None


def decide_push(
    cmd: PushTask, task_id: str, listed: CommunityList, at: datetime
) -> TaskPushed | TaskRefused:
    """Accepted when the matter is on the community's list at `at`; else refused, with why."""
    assert listed.division_code is not None
    fields: dict[str, Any] = dict(
        task_id=task_id, code=cmd.code, division_code=listed.division_code,
        matter_id=cmd.matter_id, department=cmd.department, title=cmd.title, due=cmd.due,
    )  # fmt: skip
    matter = listed.on_list(cmd.matter_id, at)
    if matter is not None:
        return TaskPushed(**fields, matter_name=matter.name, runway=matter.runway)
    entry = listed.entries.get(cmd.matter_id)
    known = entry.matter if entry is not None else None
    if listed.ended_at is not None and at >= listed.ended_at:
        reason = f"the community's list ended at {listed.ended_at.isoformat()}"
    elif entry is not None and entry.until is not None and at >= entry.until:
        reason = f"matter {cmd.matter_id} left the list at {entry.until.isoformat()} (准入退出)"
    elif known is not None:
        reason = f"matter {cmd.matter_id} is not on the list at {at.isoformat()}"
    else:
        reason = f"matter {cmd.matter_id} is not on community {cmd.code}'s list"
    return TaskRefused(**fields, rule=RULE, reason=reason, runway=known.runway if known else None)
