// Read iCalendar objects the way Thunderbird and Nextcloud do: with ical.js (tests/vendor/icaljs).
//
//   node tests/icaljs_read.mjs < feed.ics                 -> one JSON object
//   echo '["<base64 of an .ics>", ...]' | node tests/icaljs_read.mjs   -> a JSON list, one per input
//   node tests/icaljs_read.mjs --lines                    -> a line of base64 in, a line of JSON out
//
// The bytes are decoded as UTF-8 first (as a client decodes the HTTP body or the mail part), with
// U+FFFD for broken sequences, then parsed with ICAL.parse; the VTIMEZONEs of each object are
// registered with ICAL.TimezoneService (after a reset, so nothing leaks from one object to the
// next) and every time is converted to UTC through them. Nothing here forgives what ical.js does
// not: an unknown TZID stays a floating time and is reported as such.
import { createInterface } from "node:readline";

import ICAL from "./vendor/icaljs/ical.js";

function problem(list, where, error) {
  list.push(`${where}: ${error && error.message ? error.message : String(error)}`);
}

function timeValue(time, problems, where) {
  if (!time) return null;
  if (time.isDate) return { date: time.toString() };
  const zone = time.zone ? time.zone.tzid : "floating";
  if (zone === "floating") {
    problems.push(`${where}: floating time ${time.toString()} (no usable time zone)`);
    return { floating: time.toString() };
  }
  const utc = time.convertToZone(ICAL.Timezone.utcTimezone);
  return { utc: utc.toString(), zone };
}

function paramsOf(prop) {
  const params = {};
  for (const [key, value] of Object.entries(prop.toJSON()[1])) params[key] = value;
  return params;
}

function address(prop) {
  if (!prop) return null;
  return { value: prop.getFirstValue(), ...paramsOf(prop) };
}

function xProps(component) {
  const found = {};
  for (const prop of component.getAllProperties()) {
    if (prop.name.startsWith("x-")) found[prop.name] = prop.getValues().map(String);
  }
  return found;
}

function first(component, name, problems) {
  try {
    const value = component.getFirstPropertyValue(name);
    return value === null || value === undefined ? null : value;
  } catch (error) {
    problem(problems, name, error);
    return null;
  }
}

function readComponent(component, problems) {
  const name = component.name;
  const out = { component: name };
  const where = (what) => `${name} ${out.uid || "?"} ${what}`;
  out.uid = first(component, "uid", problems);
  for (const text of ["summary", "description", "location", "status", "transp", "class", "url"]) {
    const value = first(component, text, problems);
    out[text] = value === null ? null : String(value);
  }
  const sequence = first(component, "sequence", problems);
  out.sequence = sequence === null ? null : Number(sequence);
  for (const timeProp of ["dtstamp", "last-modified", "completed"]) {
    out[timeProp] = timeValue(first(component, timeProp, problems), problems, where(timeProp));
  }
  if (name === "vevent") {
    try {
      const event = new ICAL.Event(component);
      out.start = timeValue(event.startDate, problems, where("dtstart"));
      out.end = component.hasProperty("dtend") || component.hasProperty("duration")
        ? timeValue(event.endDate, problems, where("dtend")) : null;
      out.duration = event.duration ? event.duration.toString() : null;
      out.recurring = event.isRecurring();
      out.organizer = address(component.getFirstProperty("organizer"));
      out.attendees = event.attendees.map(address);
    } catch (error) {
      problem(problems, where("ICAL.Event"), error);
    }
  } else {
    out.start = timeValue(first(component, "dtstart", problems), problems, where("dtstart"));
    out.due = timeValue(first(component, "due", problems), problems, where("due"));
    out.recurring = component.hasProperty("rrule") || component.hasProperty("rdate");
  }
  out.rrule = component.getAllProperties("rrule").map((p) => p.getFirstValue().toString());
  out.exdate = component.getAllProperties("exdate").flatMap((p) => p.getValues().map((t) => timeValue(t, problems, where("exdate"))));
  out.rdate = component.getAllProperties("rdate").flatMap((p) => p.getValues().map((t) => timeValue(t, problems, where("rdate"))));
  out.alarms = component.getAllSubcomponents("valarm").map((alarm) => ({
    action: first(alarm, "action", problems),
    trigger: String(first(alarm, "trigger", problems)),
    description: first(alarm, "description", problems),
  }));
  out.x = xProps(component);
  return out;
}

function readOne(bytes) {
  const problems = [];
  const result = { problems };
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (error) {
    problems.push("not valid UTF-8 (a fold splits a character?)");
  }
  const text = new TextDecoder("utf-8").decode(bytes);
  let root;
  try {
    root = new ICAL.Component(ICAL.parse(text));
  } catch (error) {
    problem(problems, "ICAL.parse", error);
    result.components = [];
    return result;
  }
  ICAL.TimezoneService.reset();
  const zones = [];
  for (const vtimezone of root.getAllSubcomponents("vtimezone")) {
    try {
      const zone = new ICAL.Timezone(vtimezone);
      ICAL.TimezoneService.register(zone);
      zones.push(zone.tzid);
    } catch (error) {
      problem(problems, "VTIMEZONE", error);
    }
  }
  result.timezones = zones;
  result.method = first(root, "method", problems);
  result.name = first(root, "name", problems);
  result.refresh_interval = (() => {
    const value = first(root, "refresh-interval", problems);
    return value === null ? null : String(value);
  })();
  result.x = xProps(root);
  result.components = [];
  for (const component of root.getAllSubcomponents()) {
    if (component.name === "vtimezone") continue;
    // TZIDs must name a VTIMEZONE of the same object (RFC 5545 3.2.19); ical.js otherwise falls
    // back to its own registry and, failing that, to floating time.
    for (const prop of component.getAllProperties()) {
      const tzid = prop.getParameter("tzid");
      if (tzid && !zones.includes(tzid)) problems.push(`${component.name} ${prop.name}: TZID ${tzid} has no VTIMEZONE`);
    }
    result.components.push(readComponent(component, problems));
  }
  return result;
}

if (process.argv.includes("--lines")) {
  // One process for a whole test module: each input line is the base64 of one .ics (or a JSON
  // list of them), each output line its reading.
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) continue;
    const request = line.trim().startsWith("[") ? JSON.parse(line) : line.trim();
    const answer = Array.isArray(request) ? request.map((b64) => readOne(Buffer.from(b64, "base64")))
      : readOne(Buffer.from(request, "base64"));
    process.stdout.write(JSON.stringify(answer) + "\n");
  }
} else {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const input = Buffer.concat(chunks);
  if (input.subarray(0, 1).toString() === "[") {
    const list = JSON.parse(input.toString("utf-8"));
    process.stdout.write(JSON.stringify(list.map((b64) => readOne(Buffer.from(b64, "base64")))));
  } else {
    process.stdout.write(JSON.stringify(readOne(input)));
  }
}
