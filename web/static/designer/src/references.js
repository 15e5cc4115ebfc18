/* Unresolved references survive the editor.

   bpmn-moddle drops a reference it cannot resolve to an element of the file (and warns). SpiffWorkflow's
   multi-instance tasks name their collection in bpmn:loopDataInputRef / loopDataOutputRef by a *data name*
   (proc_shimin), not by the id of a bpmn:dataObject, so an unmodified journey would lose its loop data and the
   registry would refuse it ("A multiinstance task must specify a cardinality…"). SpiffArena's editor sets such
   references to a bare bpmn:ItemAwareElement carrying the name as its id; we do the same for every
   unresolved reference found at import, so that what the file said is written back as it was. */

export function restoreUnresolved(moddle, warnings) {
  const restored = [];
  for (const warning of warnings || []) {
    const match = /^unresolved reference <(.+)>$/.exec(warning.message || "");
    if (!match || !warning.element || !warning.property) { continue; }
    const element = warning.element;
    const descriptor = element.$descriptor.propertiesByName[warning.property];
    if (!descriptor) { continue; }
    const type = descriptor.type.includes(":") ? descriptor.type : element.$descriptor.ns.prefix + ":" + descriptor.type;
    let placeholder;
    try { placeholder = moddle.create(type, { id: match[1] }); } catch (e) { placeholder = moddle.create("bpmn:ItemAwareElement", { id: match[1] }); }
    if (descriptor.isMany) { element.get(descriptor.name).push(placeholder); } else { element.set(descriptor.name, placeholder); }
    restored.push({ element: element.id, property: descriptor.name, value: match[1] });
  }
  return restored;
}

/* Import warnings that do lose content (an element the editor cannot read), as text for the designer. */
export function losses(warnings) {
  return (warnings || []).filter((w) => !/^unresolved reference </.test(w.message || "")).map((w) => w.message);
}

/* bpmn-moddle writes three expression-valued children under their type's name (<bpmn:formalExpression>) instead of
   their own (<bpmn:messagePath>), which SpiffWorkflow then cannot find (message correlation). Write them as the
   BPMN schema names them. */
const NAMED_BY_PROPERTY = [["bpmn:CorrelationPropertyRetrievalExpression", "messagePath"],
  ["bpmn:CorrelationPropertyBinding", "dataPath"], ["bpmn:ComplexBehaviorDefinition", "condition"]];

export function fixSerialization(moddle) {
  for (const [type, name] of NAMED_BY_PROPERTY) {
    const property = moddle.getElementDescriptor(moddle.getType(type)).propertiesByName[name];
    if (property && !(property.xml && property.xml.serialize)) { property.xml = { ...(property.xml || {}), serialize: "property" }; }
  }
}
