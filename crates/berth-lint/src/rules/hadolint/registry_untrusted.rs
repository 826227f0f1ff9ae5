//! `DL3026` (registry-untrusted): use only an allowed registry in `FROM`.

#[allow(unused_imports)]
use crate::rules::prelude::*;

pub(crate) static META: RuleMeta = RuleMeta::hadolint(
    "DL3026",
    "registry-untrusted",
    Severity::Error,
    "use only an allowed registry in `FROM`",
    docs!(
        what: "With `trustedRegistries` configured, flags `FROM`, `COPY --from` and `RUN --mount=from=` images from other registries (Docker Hub is `docker.io`; `*.example.com` wildcards work).",
        why: "Images from unvetted registries bypass an organisation's scanning and signing.",
        bad: "# .hadolint.yaml: trustedRegistries: [registry.example.com]\n\
    FROM quay.io/org/app:1.0",
        good: "FROM registry.example.com/org/app:1.0",
    ),
);

struct RegistryUntrusted {
    allowed: Vec<String>,
    aliases: std::collections::BTreeSet<String>,
}

fn matches(allow: &str, registry: &str) -> bool {
    if allow == "*" {
        true
    } else if let Some(suffix) = allow.strip_prefix('*') {
        registry.ends_with(suffix)
    } else if let Some(prefix) = allow.strip_suffix('*') {
        registry.starts_with(prefix)
    } else {
        registry == allow
    }
}

impl RegistryUntrusted {
    fn allowed(&self, image: &str) -> bool {
        let r = ImageRef::parse(image);
        if self.allowed.is_empty() || self.aliases.contains(r.full_name) {
            return true;
        }
        let ok = |registry: &str| self.allowed.iter().any(|a| matches(a, registry));
        match r.registry {
            Some(registry) => ok(registry),
            None => r.full_name == "scratch" || ok("docker.io") || ok("hub.docker.com"),
        }
    }
}

impl Rule for RegistryUntrusted {
    fn check(&mut self, cx: &mut Checker<'_>, step: &Step<'_>) {
        match &step.ins.kind {
            InstructionKind::From { image, name, .. } => {
                if !self.allowed(&image.value) {
                    cx.flag(step);
                }
                if let Some(name) = name {
                    self.aliases.insert(name.value.clone());
                }
            }
            InstructionKind::Copy(spec) => {
                if let Some(from) = &spec.from
                    && !self.allowed(from)
                {
                    cx.flag(step);
                }
            }
            InstructionKind::Run { mounts, .. } => {
                let bad = mounts.iter().any(|m| {
                    matches!(m.kind.as_str(), "cache" | "bind")
                        && !self.allowed(m.from.as_deref().unwrap_or("scratch"))
                });
                if bad {
                    cx.flag(step);
                }
            }
            _ => {}
        }
    }
}

pub(crate) fn new(settings: &RuleSettings) -> Box<dyn Rule> {
    Box::new(RegistryUntrusted {
        allowed: settings.trusted_registries.clone(),
        aliases: std::collections::BTreeSet::new(),
    })
}

#[cfg(test)]
mod tests {
    use crate::testing::assert_lines;

    #[test]
    fn flags_and_passes() {
        assert_lines("DL3026", "FROM a:1\n", &[]);
    }
}
