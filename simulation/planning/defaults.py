"""Seed values of the planning tables (migration 0007): every one an assumption, with a note of
what it is and where it comes from, until the city enters its own."""

from __future__ import annotations

PRICE_NOTE = ("assumption: order-of-magnitude supply-and-install price for a Vietnamese town "
              "(2024-2025), not from a published price list; replace with the province's "
              "unit-price book (đơn giá)")

# layer, material, unit, cost_vnd, service_life_y, what
UNIT_COSTS: list[tuple[str, str, str, float, int, str]] = [
    ("water_pipes", "*", "m", 2_000_000, 50, "water main renewal, any material"),
    ("water_pipes", "HDPE", "m", 1_500_000, 50, "HDPE main DN100-200 laid in a trench"),
    ("water_pipes", "PVC", "m", 1_200_000, 40, "uPVC main DN100-200"),
    ("water_pipes", "DI", "m", 3_500_000, 80, "ductile iron main DN150-300"),
    ("water_pipes", "CI", "m", 3_500_000, 60, "grey cast iron main, renewed in DI"),
    ("water_pipes", "steel", "m", 3_000_000, 40, "steel main"),
    ("water_pipes", "AC", "m", 2_000_000, 40, "asbestos-cement main, renewed in HDPE"),
    ("water_valves", "*", "each", 15_000_000, 40, "gate valve DN100-200 with chamber"),
    ("water_pumps", "*", "each", 300_000_000, 20, "booster pump set 50-100 kW with controls"),
    ("hydrants", "*", "each", 20_000_000, 40, "pillar hydrant"),
    ("drainage_pipes", "*", "m", 4_000_000, 50, "reinforced-concrete drain D600-1000"),
    ("manholes", "*", "each", 15_000_000, 50, "manhole chamber and cover"),
    ("luminaires", "*", "each", 8_000_000, 20, "luminaire renewed as an LED street light"),
    ("luminaires", "LED", "each", 8_000_000, 15,
     "LED street light 60-150 W supplied and fitted (LED life ~50,000-60,000 h)"),
    ("luminaires", "HPS", "each", 8_000_000, 20, "HPS luminaire renewed as an LED one"),
    ("poles", "*", "each", 12_000_000, 40, "8-10 m steel lighting pole with foundation"),
    ("poles", "concrete", "each", 10_000_000, 50, "centrifugal concrete pole"),
    ("power_lines", "*", "m", 800_000, 40, "LV/MV line renewal"),
    ("power_lines", "overhead", "m", 600_000, 40, "overhead ABC/bare conductor line"),
    ("power_lines", "underground", "m", 2_000_000, 30, "XLPE cable laid in a trench"),
    ("transformers", "*", "each", 400_000_000, 30, "22/0.4 kV 250-400 kVA transformer"),
    ("power_switches", "*", "each", 50_000_000, 25, "MV load-break switch or recloser"),
    ("fibre_cables", "*", "m", 60_000, 25, "fibre cable 12-96 cores laid or strung"),
    ("ducts", "*", "m", 500_000, 50, "HDPE duct bank in a trench"),
    ("telecom_cabinets", "*", "each", 30_000_000, 20, "street fibre cabinet"),
    ("splitters", "*", "each", 1_000_000, 20, "PLC splitter"),
    ("customer_terminals", "*", "each", 1_500_000, 8, "ONT"),
    ("cameras", "*", "each", 25_000_000, 8, "IP camera with bracket"),
    ("sensors", "*", "each", 10_000_000, 10, "field sensor with telemetry"),
    ("roads", "*", "m", 1_500_000, 15,
     "asphalt resurfacing of a 7 m carriageway (about 200,000 VND/m²)"),
    ("roads", "concrete", "m", 2_500_000, 30, "concrete carriageway slab renewal, 7 m wide"),
    ("trees", "*", "each", 150_000, 2,
     "one visual safety inspection of a street tree; service_life_y = inspection interval"),
]

TARGETS: list[tuple[str, float, bool, str]] = [
    ("fibre_households", 0.8, False,
     "programme target: fibre to more than 80 % of households"),
    ("fibre_groups", 1.0, False, "programme target: fibre to every village / residential group"),
    ("camera_junctions", 0.5, True,
     "assumption: half of the road junctions within a camera's view; no programme figure"),
    ("lamps_working", 0.95, True,
     "assumption: 95 % of the street lights working at any time; no programme figure"),
]

PARAMETERS: list[tuple[str, float, str, str]] = [
    ("tariff_vnd_per_kwh", 2204.0, "VND/kWh",
     "assumption: EVN's average retail electricity price from 10 May 2025 (2,204.07 VND/kWh, "
     "Decision 1279/QĐ-BCT); the public-lighting band of the city's contract may differ"),
    ("co2_kg_per_kwh", 0.6592, "kg CO2/kWh",
     "assumption: Viet Nam's grid emission factor for 2023, 0.6592 tCO2/MWh, announced by "
     "MONRE's Department of Climate Change in 2024; use the latest announced figure"),
]
