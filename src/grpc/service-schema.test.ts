import { clone } from "@bufbuild/protobuf";
import { FieldDescriptorProto_Type, FileDescriptorProtoSchema, type DescriptorProto, type FileDescriptorProto } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { compareServices, compiledFiles, K3_SERVICE_NAMES } from "./service-schema.js";

/** A deep copy of the compiled files, for one test to change as an endpoint might differ. */
function endpointFiles(): FileDescriptorProto[] {
  return compiledFiles().map((file) => clone(FileDescriptorProtoSchema, file));
}

function message(files: FileDescriptorProto[], fullName: string): DescriptorProto {
  for (const file of files) {
    for (const m of file.messageType) if (`${file.package}.${m.name}` === fullName) return m;
  }
  throw new Error(`no message ${fullName}`);
}

const SOURCE = "dodil.k3.source.v1.Source";
const compare = (remote: FileDescriptorProto[]): string[] => compareServices(compiledFiles(), remote, K3_SERVICE_NAMES);

describe("compareServices", () => {
  it("finds no difference between the compiled services and themselves", () => {
    expect(compare(compiledFiles())).toEqual([]);
  });

  it("reports a field the endpoint numbers differently", () => {
    const remote = endpointFiles();
    const field = message(remote, SOURCE).field.find((f) => f.name === "display_name");
    if (field === undefined) throw new Error("Source has no display_name");
    const ours = field.number;
    field.number = 999;
    expect(compare(remote)).toEqual([`${SOURCE}.display_name: number ${ours} here, 999 at the endpoint`]);
  });

  it("reports a number the endpoint gives to another field, and a changed type", () => {
    const remote = endpointFiles();
    const fields = message(remote, SOURCE).field;
    const displayName = fields.find((f) => f.name === "display_name");
    if (displayName === undefined) throw new Error("Source has no display_name");
    displayName.name = "title";
    displayName.jsonName = "title";
    const createTime = fields.find((f) => f.name === "create_time");
    if (createTime === undefined) throw new Error("Source has no create_time");
    createTime.type = FieldDescriptorProto_Type.STRING;
    createTime.typeName = "";
    const differences = compare(remote);
    expect(differences).toContain(`${SOURCE}.display_name: number ${displayName.number} is "title" at the endpoint`);
    expect(differences).toContain(`${SOURCE}.create_time: google.protobuf.Timestamp here, string at the endpoint`);
    expect(differences).toHaveLength(2);
  });

  it("reports a method and a service the endpoint does not serve", () => {
    const remote = endpointFiles();
    const pipelineFile = remote.find((f) => f.service.some((s) => s.name === "PipelineService"));
    const ingestFile = remote.find((f) => f.service.some((s) => s.name === "IngestService"));
    if (pipelineFile === undefined || ingestFile === undefined) throw new Error("services not found");
    pipelineFile.service[0]!.method = pipelineFile.service[0]!.method.filter((m) => m.name !== "ListTemplates");
    ingestFile.service = [];
    expect(compare(remote)).toEqual([
      "dodil.k3.pipeline.v1.PipelineService/ListTemplates: not served by the endpoint",
      "dodil.k3.ingest.v1.IngestService: not served by the endpoint",
    ]);
  });

  it("reports an enum value the endpoint names differently", () => {
    const remote = endpointFiles();
    const file = remote.find((f) => f.package === "dodil.k3.source.v1");
    const sourceType = file?.enumType.find((e) => e.name === "SourceType");
    if (sourceType === undefined) throw new Error("no SourceType enum");
    const value = sourceType.value.find((v) => v.number === 1);
    if (value === undefined) throw new Error("SourceType has no value 1");
    const ours = value.name;
    value.name = "SOURCE_TYPE_SOMETHING_ELSE";
    expect(compare(remote)).toEqual([`dodil.k3.source.v1.SourceType: value 1 is ${ours} here, SOURCE_TYPE_SOMETHING_ELSE at the endpoint`]);
  });

  it("does not report what the endpoint has beyond this build (newer fields and methods are compatible)", () => {
    const remote = endpointFiles();
    const source = message(remote, SOURCE);
    source.field.push({ ...source.field[0]!, name: "added_later", jsonName: "addedLater", number: 900 });
    const service = remote.flatMap((f) => f.service).find((s) => s.name === "SourceService");
    service?.method.push({ ...service.method[0]!, name: "AddedLater" });
    expect(compare(remote)).toEqual([]);
  });
});
