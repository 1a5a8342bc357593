-- Argo CD health of the k3.dodil.io kinds (K3Source, K3Pipeline, K3IngestRule, K3IngestJob).
-- One script for all four: Argo CD hands it the object as the global `obj` and reads
-- hs.status / hs.message. Written for Lua 5.1 (Argo CD's gopher-lua): no goto, no integer
-- division, no bitwise operators.
--
-- Managed kinds (K3Source, K3Pipeline, K3IngestRule):
--   Suspended    Synced=False/Paused (the k3.dodil.io/paused annotation)
--   Progressing  no status yet; status.observedGeneration behind metadata.generation;
--                Reconciling=True (kstatus InProgress); without kstatus conditions (objects
--                written by older operators): Ready=False/Creating|Deleting|DependencyNotReady;
--                Ready unknown
--   Degraded     Stalled=True (kstatus Failed: invalid spec, refused token, rejected
--                credential, awaiting OAuth consent); without kstatus conditions: Synced=False,
--                CredentialReady=False, PipelineBound=False, Ready=False for any other reason
--   Healthy      Ready=True for the current generation
-- K3IngestJob (observed like a batch/v1 Job):
--   Healthy on Complete=True, Degraded on Failed=True, Progressing otherwise.

local function condition(conditions, conditionType)
  if conditions == nil then
    return nil
  end
  for _, c in ipairs(conditions) do
    if c.type == conditionType then
      return c
    end
  end
  return nil
end

local function isFalse(c)
  return c ~= nil and c.status == "False"
end

local function describe(c, fallback)
  if c == nil then
    return fallback
  end
  local reason = c.reason or ""
  if c.message ~= nil and c.message ~= "" then
    if reason ~= "" then
      return reason .. ": " .. c.message
    end
    return c.message
  end
  if reason ~= "" then
    return reason
  end
  return fallback
end

local progressingReasons = {
  Creating = true,
  Deleting = true,
  DependencyNotReady = true,
}

local function ingestJobHealth(status)
  local conditions = nil
  if status ~= nil then
    conditions = status.conditions
  end
  local failed = condition(conditions, "Failed")
  if failed ~= nil and failed.status == "True" then
    return "Degraded", describe(failed, "The ingest job failed")
  end
  local complete = condition(conditions, "Complete")
  if complete ~= nil and complete.status == "True" then
    return "Healthy", describe(complete, "The ingest job completed")
  end
  if status ~= nil and status.phase ~= nil then
    return "Progressing", "Phase " .. status.phase
  end
  return "Progressing", "Waiting for the operator to start the ingest job"
end

local function managedHealth(metadata, status)
  if status == nil or status.conditions == nil then
    return "Progressing", "Waiting for the operator to report status"
  end
  local conditions = status.conditions
  local synced = condition(conditions, "Synced")
  if isFalse(synced) and synced.reason == "Paused" then
    return "Suspended", describe(synced, "Reconciliation is paused")
  end

  local generation = metadata and metadata.generation
  if generation ~= nil and (status.observedGeneration == nil or status.observedGeneration < generation) then
    return "Progressing", "Waiting for the operator to observe generation " .. tostring(generation)
  end

  -- The kstatus conditions (what Flux and kpt read) decide first, so both tools agree:
  -- Stalled=True is kstatus Failed, Reconciling=True is kstatus InProgress.
  local stalled = condition(conditions, "Stalled")
  if stalled ~= nil and stalled.status == "True" then
    return "Degraded", describe(stalled, "Only a person can move this object on")
  end
  local reconciling = condition(conditions, "Reconciling")
  if reconciling ~= nil and reconciling.status == "True" then
    return "Progressing", describe(reconciling, "Work is under way")
  end

  if isFalse(synced) then
    return "Degraded", describe(synced, "The last reconcile failed")
  end
  local credential = condition(conditions, "CredentialReady")
  if isFalse(credential) then
    return "Degraded", describe(credential, "The credential is not ready")
  end
  local bound = condition(conditions, "PipelineBound")
  if isFalse(bound) then
    return "Degraded", describe(bound, "The pipeline of this rule is gone")
  end

  local ready = condition(conditions, "Ready")
  if ready == nil or ready.status == "Unknown" then
    return "Progressing", describe(ready, "Waiting for the operator to report readiness")
  end
  if ready.status == "True" then
    return "Healthy", describe(ready, "Ready")
  end
  if progressingReasons[ready.reason] then
    return "Progressing", describe(ready, "Not ready yet")
  end
  return "Degraded", describe(ready, "Not ready")
end

local hs = {}
if obj.kind == "K3IngestJob" then
  hs.status, hs.message = ingestJobHealth(obj.status)
else
  hs.status, hs.message = managedHealth(obj.metadata, obj.status)
end
return hs
