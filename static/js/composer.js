/*
 * The SMS composer: live count, UCS-2 highlighting and look-alike replacement, toolbar
 * (link, emoji, special character, personalization token), opt-out switch rule, and the preview
 * (contact, font size, dark mode).
 *
 * Counting runs in the browser on every keystroke with Twilio's own calculator (the npm package
 * sms-segments-calculator, bundled by `npm run build` into build/segments-calculator.js, which
 * sets window.SegmentedMessage). The text counted is the one messaging.selectors.preview_build
 * counts on the server: opt-out line appended, the links a send shortens replaced by a string as
 * long as their short link, tokens rendered with the previewed contact's values (or defaults).
 * The patterns below mirror messaging/tokens.py and messaging/links.py; keep them in step.
 */
(function () {
  "use strict";

  var configElement = document.getElementById("composer-config");
  if (!configElement) return;
  var config = JSON.parse(configElement.textContent);

  var TOKEN = /\{\{\s*contact\.([a-z_][a-z0-9_]*)\s*(?:\|\s*default:\s*"([^"]*)"\s*)?\}\}/g;
  // messaging.tokens.MESSAGE_TOKEN_PATTERN: the sender user's and the account's tokens.
  var MESSAGE_TOKEN =
    /\{\{\s*(sender|account)\.([a-z_][a-z0-9_]*)\s*(?:\|\s*default:\s*"([^"]*)"\s*)?\}\}/g;
  var messageTokenValues = config.messageTokenValues || {};

  // messaging.tokens.message_tokens_fill: filled before anything else, as fan-out does.
  function fillMessageTokens(text) {
    return text.replace(MESSAGE_TOKEN, function (match, kind, name, fallback) {
      return messageTokenValues[kind + "." + name] || fallback || "";
    });
  }
  var SPACES = " \\t\\n\\r\\f\\v\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff";
  var LINK = new RegExp(
    "(?<![A-Za-z0-9_@./-])(?:[Hh][Tt][Tt][Pp][Ss]?://|[Ww][Ww][Ww]\\.)[^" + SPACES + "<>\"]+",
    "g"
  );
  var TRAILING_PUNCTUATION = ".,;:!?)]}'\"";
  // messaging.links.LINK_MARKER and shortlinks.MAX_LINKS.
  var MARKER_OPEN = "\ue000", MARKER_CLOSE = "\ue001";
  var MAX_SHORT_LINKS = config.maxShortLinks;
  // Opt-out wording: the server's own patterns (messaging/tokens.py has_opt_out_wording),
  // built from the account's opt-out keywords: a keyword used as an instruction, not negated.
  var OPT_OUT_INSTRUCTION = new RegExp(config.optOutPattern, "gi");
  var OPT_OUT_NEGATION = new RegExp(config.optOutNegation, "i");

  function hasOptOutWording(text) {
    OPT_OUT_INSTRUCTION.lastIndex = 0;
    var match;
    while ((match = OPT_OUT_INSTRUCTION.exec(text)) !== null) {
      // The 20 characters (code points, as Python counts) before the instruction.
      var before = Array.from(text.slice(0, match.index)).slice(-20).join("");
      if (!OPT_OUT_NEGATION.test(before)) return true;
    }
    return false;
  }

  // The composer's own ids unless the page names others (a workflow's Send SMS step).
  var form = document.getElementById(config.formId || "message-form");
  var body = document.getElementById(config.bodyId || "message-body");
  var optOut = document.getElementById("id_append_opt_out");
  var $ = function (id) { return document.getElementById(id); };

  // Token values of the previewed contact; empty = every token shows its default.
  var previewValues = {};

  // `unknown`: what a token without a default counts as when no contact is chosen
  // (messaging.tokens.render_for_estimate).
  function renderTokens(text, values, unknown) {
    return text.replace(TOKEN, function (match, name, fallback) {
      var value = values[name];
      if (value === undefined || value === null || value === "") {
        if (fallback === undefined && unknown) return unknown;
        return fallback || "";
      }
      return String(value);
    });
  }

  function occurrences(text, character) { return text.split(character).length - 1; }

  // messaging.links._trimmed: the link without the punctuation ending the sentence around it
  // ("" if only a bare scheme or "www." is left); a ")" closing a "(" of the link stays.
  function trimmedLink(link) {
    while (link && TRAILING_PUNCTUATION.indexOf(link[link.length - 1]) >= 0) {
      if (link[link.length - 1] === ")" && occurrences(link, "(") >= occurrences(link, ")")) break;
      link = link.slice(0, -1);
    }
    var lower = link.toLowerCase();
    return lower.endsWith("://") || lower.endsWith("www.") ? "" : link;
  }

  // messaging.links.links_number: the links a send shortens (found in the body as written:
  // not those holding a token, none past the 16th) become numbered markers.
  function numberLinks(text) {
    var found = [];
    var template = text.replace(LINK, function (link) {
      var trimmed = trimmedLink(link);
      if (!trimmed || trimmed.indexOf("{{") >= 0 || found.length >= MAX_SHORT_LINKS) return link;
      found.push(trimmed);
      return MARKER_OPEN + (found.length - 1) + MARKER_CLOSE + link.slice(trimmed.length);
    });
    return { template: template, found: found };
  }

  function fillMarkers(text, replacements) {
    replacements.forEach(function (replacement, position) {
      text = text.split(MARKER_OPEN + position + MARKER_CLOSE).join(replacement);
    });
    return text;
  }

  function withOptOut(text) {
    if (!optOut || !optOut.checked) return text;
    return text ? text + "\n" + config.optOutLine : config.optOutLine;
  }

  function calculator() {
    return typeof window.SegmentedMessage === "function" ? window.SegmentedMessage : null;
  }

  // The GSM look-alike of one grapheme under Twilio's smart encoding, or null if none.
  function lookAlike(grapheme) {
    var Segmented = calculator();
    if (!Segmented) return null;
    var swapped = new Segmented(grapheme, "auto", true).graphemes.join("");
    if (swapped === grapheme) return null;
    if (swapped && new Segmented(swapped, "auto", false).encodingName !== "GSM-7") return null;
    return swapped;
  }

  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }

  function setText(id, text) {
    var el = $(id);
    if (el) el.textContent = text;
  }

  var lastCount = null;

  function update() {
    // As messaging.selectors.preview_build: number the links, fill tokens, then put each
    // link back (the preview) or a string as long as its short link (the count).
    var composed = withOptOut(body.value);
    var numbered = numberLinks(fillMessageTokens(composed));
    var template = renderTokens(numbered.template, previewValues);
    var rendered = fillMarkers(template, numbered.found);
    var placeholders = numbered.found.map(function () { return config.shortLinkPlaceholder; });
    // What goes out with these values (a test send's text), and what the estimate counts: with
    // no contact chosen, a token without a default as a value of typical length.
    var exact = fillMarkers(template, placeholders);
    var noContact = Object.keys(previewValues).length === 0;
    var counted = noContact
      ? fillMarkers(renderTokens(numbered.template, {}, config.unknownValue), placeholders)
      : exact;
    var length = Array.from(composed).length;

    setText("count-length", length.toLocaleString("en-US"));
    setText("count-length-note", optOut && optOut.checked ? " (opt-out line included)" : "");
    var lengthBox = $("count-length-box");
    if (lengthBox) lengthBox.classList.toggle("over", length > config.bodyMaxLength);

    var links = numbered.found.length;
    var linkNote = $("count-links");
    if (linkNote) {
      linkNote.hidden = links === 0;
      linkNote.textContent = links
        ? plural(links, "link") + " counted as " + config.shortLinkPlaceholder.length +
          " characters each (the length of its short link)."
        : "";
    }

    var Segmented = calculator();
    var nonGsm = [];
    if (Segmented) {
      var message = new Segmented(counted, "auto", false);
      lastCount = {
        encoding: message.encodingName,
        segments: message.segmentsCount,
        characters: message.numberOfCharacters,
        // A test send is charged for the text as it goes out.
        exactSegments: exact === counted ? message.segmentsCount
          : new Segmented(exact, "auto", false).segmentsCount,
      };
      nonGsm = Array.from(new Set(message.getNonGsmCharacters()));
      setText("count-characters", lastCount.characters.toLocaleString("en-US"));
      setText("count-encoding", lastCount.encoding);
      setText("count-segments", String(lastCount.segments));
      setText("count-segments-word", lastCount.segments === 1 ? "segment" : "segments");
      var counter = $("segment-counter");
      if (counter) {
        counter.dataset.encoding = lastCount.encoding;
        counter.dataset.segments = String(lastCount.segments);
        counter.dataset.characters = String(lastCount.characters);
      }
    }
    showUnicodeCharacters(nonGsm);
    renderPreview(rendered, new Set(nonGsm));
    updateTestCost();
    updateOptOutHint();
  }

  function showUnicodeCharacters(nonGsm) {
    var box = $("ucs2-characters");
    var list = $("ucs2-list");
    var button = $("replace-lookalikes");
    if (!box || !list) return;
    box.hidden = nonGsm.length === 0;
    list.textContent = "";
    var replaceable = 0;
    nonGsm.forEach(function (grapheme) {
      var chip = document.createElement("span");
      chip.className = "chip";
      var swapped = lookAlike(grapheme);
      var shown = grapheme === "\n" ? "↵" : grapheme;
      if (swapped !== null) {
        replaceable += 1;
        chip.textContent = shown + " → " + (swapped === "" ? "(removed)" : swapped);
        chip.classList.add("replaceable");
      } else {
        chip.textContent = shown;
        chip.title = "No GSM look-alike";
      }
      list.appendChild(chip);
    });
    if (button) {
      button.disabled = replaceable === 0 || !config.editable;
      button.textContent = replaceable
        ? "Replace " + plural(replaceable, "character") + " with GSM look-alikes"
        : "No GSM look-alikes";
    }
  }

  function replaceLookAlikes() {
    var Segmented = calculator();
    if (!Segmented) return;
    var graphemes = new Segmented(body.value, "auto", false).graphemes;
    var changed = false;
    var result = graphemes.map(function (grapheme) {
      var swapped = new Segmented(grapheme, "auto", false).encodingName === "GSM-7"
        ? null
        : lookAlike(grapheme);
      if (swapped === null) return grapheme;
      changed = true;
      return swapped;
    }).join("");
    if (changed) {
      body.value = result;
      bodyChangedByScript();
    }
  }

  function renderPreview(rendered, highlight) {
    var bubble = $("preview-bubble");
    if (!bubble) return;
    bubble.textContent = "";
    var Segmented = calculator();
    var graphemes = Segmented ? new Segmented(rendered, "auto", false).graphemes : Array.from(rendered);
    var run = "";
    graphemes.forEach(function (grapheme) {
      if (highlight.has(grapheme) && grapheme !== "\n" && grapheme !== "\r") {
        if (run) bubble.appendChild(document.createTextNode(run));
        run = "";
        var mark = document.createElement("mark");
        mark.className = "ucs2";
        mark.title = "Forces UCS-2";
        mark.textContent = grapheme;
        bubble.appendChild(mark);
      } else {
        run += grapheme;
      }
    });
    if (run) bubble.appendChild(document.createTextNode(run));
    bubble.classList.toggle("empty", rendered === "");
  }

  function updateOptOutHint() {
    var hint = $("opt-out-hint");
    if (!optOut || !hint) return;
    var hasWording = hasOptOutWording(body.value);
    hint.hidden = optOut.checked || hasWording;
    optOut.setAttribute("aria-describedby", "opt-out-rule");
    var rule = $("opt-out-rule");
    if (rule) rule.classList.toggle("ok", hasWording);
  }

  function updateTestCost() {
    var cost = $("test-cost");
    if (!cost || !lastCount) return;
    var phones = document.querySelectorAll("#test-send-form input[name=test_phones]:checked").length;
    var typed = ($("id_phone_numbers") || { value: "" }).value
      .split(/[,;\n]+/).filter(function (part) { return part.trim(); }).length;
    var recipients = phones + typed;
    var needed = recipients * lastCount.exactSegments;
    var usage = config.usage;
    var text = "";
    if (recipients) {
      text = "This test needs " + needed + " of the " + usage.left.toLocaleString("en-US") +
        " segments left this period.";
      var after = usage.total ? Math.floor(((usage.used + needed) * 100) / usage.total) : 100;
      if (needed <= usage.left && after >= 60) text += " Usage will reach " + after + "%.";
    }
    cost.textContent = text;
    cost.classList.toggle("over", needed > usage.left);
  }

  // The body changed by a script: recount, and let the autosave know.
  function bodyChangedByScript() {
    update();
    if (form) form.dispatchEvent(new CustomEvent("composer:changed", { bubbles: true }));
  }

  function insertAtCursor(text) {
    if (!config.editable) return;
    var start = body.selectionStart == null ? body.value.length : body.selectionStart;
    var end = body.selectionEnd == null ? start : body.selectionEnd;
    body.focus();
    body.setRangeText(text, start, end, "end");
    bodyChangedByScript();
  }

  function closeMenu(element) {
    var details = element.closest("details");
    if (details) details.removeAttribute("open");
  }

  // Toolbar -------------------------------------------------------------------------------
  document.querySelectorAll("[data-insert]").forEach(function (button) {
    button.addEventListener("click", function () {
      insertAtCursor(button.dataset.insert);
      closeMenu(button);
    });
  });

  var linkInsert = $("link-insert");
  if (linkInsert) {
    linkInsert.addEventListener("click", function () {
      var input = $("link-url");
      var url = input.value.trim();
      if (!url) return;
      if (!/^(https?:\/\/|www\.)/i.test(url)) url = "https://" + url;
      var before = body.value.slice(0, body.selectionStart || 0);
      insertAtCursor((before && !/\s$/.test(before) ? " " : "") + url + " ");
      input.value = "";
      closeMenu(linkInsert);
    });
  }

  var tokenInsert = $("token-insert");
  if (tokenInsert) {
    tokenInsert.addEventListener("click", function () {
      // Contact properties are plain keys; the sender's and company's carry their type.
      var key = $("token-field").value;
      var name = key.indexOf(".") >= 0 ? key : "contact." + key;
      // A default can't hold a double quote (it ends the default) or braces.
      var fallback = $("token-default").value.replace(/["{}]/g, "").trim();
      var token = fallback
        ? "{{ " + name + ' | default: "' + fallback + '" }}'
        : "{{ " + name + " }}";
      insertAtCursor(token);
      closeMenu(tokenInsert);
    });
  }

  // Personalize's Type chooses which properties the Property menu offers.
  var tokenType = $("token-type");
  if (tokenType) {
    tokenType.addEventListener("change", function () {
      var field = $("token-field");
      var first = null;
      Array.prototype.forEach.call(field.options, function (option) {
        var fits = option.dataset.type === tokenType.value;
        option.hidden = !fits;
        option.disabled = !fits;
        if (fits && first === null) first = option.value;
      });
      field.value = first;
    });
  }

  // Enter in a toolbar field inserts; it must not submit (and so save) the message form.
  [["link-url", "link-insert"], ["token-default", "token-insert"]].forEach(function (pair) {
    var input = $(pair[0]);
    if (!input) return;
    input.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") return;
      event.preventDefault();
      $(pair[1]).click();
    });
  });

  // Typing in the toolbar (a link address, a token's default) changes nothing to save: its
  // keyup and change events stop here, before the form's autosave trigger hears them. (An
  // hx-trigger filter would need eval, which the Content-Security-Policy refuses.)
  document.querySelectorAll(".composer-toolbar").forEach(function (toolbar) {
    ["keyup", "change"].forEach(function (name) {
      toolbar.addEventListener(name, function (event) { event.stopPropagation(); });
    });
  });

  var replaceButton = $("replace-lookalikes");
  if (replaceButton) replaceButton.addEventListener("click", replaceLookAlikes);

  // Opt-out switch: off only when the body says how to opt out --------------------------
  if (optOut) {
    optOut.addEventListener("change", function () {
      if (!optOut.checked && !hasOptOutWording(body.value)) {
        optOut.checked = true;
        var rule = $("opt-out-rule");
        if (rule) {
          rule.classList.add("flash");
          setTimeout(function () { rule.classList.remove("flash"); }, 1200);
        }
      }
      update();
    });
  }

  body.addEventListener("input", function () {
    // Wording removed while the line is off: the line comes back (the server would refuse).
    if (optOut && !optOut.checked && !hasOptOutWording(body.value)) optOut.checked = true;
    update();
  });

  // Preview: contact, font size, dark mode ----------------------------------------------
  // The test send's contact follows the preview's until one is chosen for the test itself.
  var testContact = $("id_as_contact");
  if (testContact) {
    testContact.addEventListener("change", function () { testContact.dataset.chosen = "yes"; });
  }
  function testContactFollow(contactId, label) {
    if (!testContact || testContact.dataset.chosen === "yes") return;
    var picker = testContact.tomselect;
    if (!picker) {
      testContact.value = contactId;
      return;
    }
    picker.clear(true);
    if (contactId) {
      picker.addOption({ value: contactId, text: label });
      picker.setValue(contactId, true);
    }
  }

  var contactSelect = $("preview-contact");
  if (contactSelect) {
    contactSelect.addEventListener("change", function () {
      var contactId = contactSelect.value;
      var label = $("preview-as");
      if (!contactId) {
        previewValues = {};
        testContactFollow("", "");
        if (label) label.textContent = "each token's default";
        setText("server-preview", "");
        update();
        return;
      }
      var data = new FormData(form);
      data.set("contact", contactId);
      data.set("body", body.value);
      if (optOut && optOut.checked) data.set("append_opt_out", "on");
      else data.delete("append_opt_out");
      fetch(config.previewUrl, {
        method: "POST",
        body: data,
        headers: { "X-CSRFToken": document.querySelector("meta[name=csrf-token]").content },
        credentials: "same-origin",
      })
        .then(function (response) { return response.json(); })
        .then(function (result) {
          if (result.error) return;
          previewValues = result.values || {};
          testContactFollow(contactId, result.contact ? result.contact.name : contactId);
          if (label) label.textContent = result.contact ? result.contact.name : "";
          setText(
            "server-preview",
            "Server: " + result.encoding + ", " + plural(result.segments, "segment") + ", " +
              result.characters + " characters for " + (result.contact ? result.contact.name : "defaults") + "."
          );
          update();
        });
    });
  }

  var fontSize = $("preview-font-size");
  if (fontSize) {
    var applySize = function () {
      var bubble = $("preview-bubble");
      if (bubble) bubble.style.fontSize = fontSize.value + "px";
      setText("preview-font-size-value", fontSize.value + " px");
    };
    fontSize.addEventListener("input", applySize);
    applySize();
  }

  var dark = $("preview-dark");
  if (dark) {
    dark.addEventListener("change", function () {
      var phone = $("preview-phone");
      if (phone) phone.classList.toggle("dark", dark.checked);
    });
  }

  document.addEventListener("change", function (event) {
    if (event.target.closest && event.target.closest("#test-send-form")) updateTestCost();
  });
  document.addEventListener("input", function (event) {
    if (event.target.id === "id_phone_numbers") updateTestCost();
  });

  // An autosave that fails must not leave an earlier "Saved" showing. Text that can't be
  // stored is refused with a 400 that says why (accounts/inputs.py): shown as it comes. Any
  // other failure says so; what was typed stays in the form either way.
  function isAutosave(event) {
    var target = event.detail.target;
    return target && target.id === "autosave-status";
  }
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    if (isAutosave(event) && event.detail.xhr.status === 400) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  function autosaveFailed(event) {
    if (!isAutosave(event)) return;
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (status === 400) return;
    var note = document.createElement("span");
    note.className = "not-saved";
    note.setAttribute("role", "alert");
    note.textContent =
      "Not saved: " +
      (status ? "the server answered " + status + "." : "the server could not be reached.") +
      " What you typed is still here; it will be saved with your next change.";
    event.detail.target.replaceChildren(note);
  }
  document.body.addEventListener("htmx:responseError", autosaveFailed);
  document.body.addEventListener("htmx:sendError", autosaveFailed);

  // After a test send the usage changed: the fragment carries the new figure.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    var left = event.target.querySelector && event.target.querySelector("[data-segments-left]");
    if (left) {
      var nowLeft = parseInt(left.dataset.segmentsLeft, 10);
      config.usage.used += config.usage.left - nowLeft;
      config.usage.left = nowLeft;
      setText("usage-left", config.usage.left.toLocaleString("en-US"));
      updateTestCost();
    }
  });

  update();
  document.documentElement.dataset.composerReady = calculator() ? "yes" : "no-calculator";
})();
