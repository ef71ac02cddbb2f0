"""Use cases shared by the CLI and the REST API: validate, plan, instantiate, scale, heal,
update, terminate, resume / rollback / fail, doctor. Both front ends call only this layer, so
they can never disagree."""
