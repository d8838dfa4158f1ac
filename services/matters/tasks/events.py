"""Task events: a task a district system pushed to a community, accepted or refused, each on
its own stream `task-<id>` (the id is the push's command id: a retried push is the same task).

A refusal is recorded too, so refused pushes can be counted per department (the burden
report); it changes nothing else."""

from __future__ import annotations

from datetime import date

from services.matters.catalogue.packs import Runway
from shared.eventstore import DomainEvent


class _Task(DomainEvent):
    task_id: str
    code: str
    division_code: str
    matter_id: str
    department: str
    title: str
    due: date | None = None


class TaskPushed(_Task):
    """The task names a matter on the community's list at that moment: accepted."""

    event_type = "TaskPushed"
    schema_version = 1

    matter_name: str
    runway: Runway


class TaskRefused(_Task):
    """清单之外无事项 (seed 004 §二): the task names no matter on the community's list then."""

    event_type = "TaskRefused"
    schema_version = 1

    rule: str
    reason: str
    runway: Runway | None = None  # the matter's, when the catalogue knows it


def task_stream(task_id: str) -> str:
    return f"task-{task_id}"


TASK_EVENT_TYPES: tuple[type[DomainEvent], ...] = (TaskPushed, TaskRefused)
