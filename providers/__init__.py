"""Provider adapters: one package per cloud, one module per service. SDK calls live only here."""
