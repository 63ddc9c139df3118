"""Network edges drawn: each edge's straight line between its nodes, kept by the database.

An edge's line used to be made in every query from its two nodes, so a spatial filter over the
edges (a vector tile, a bbox of the Features API) joined all of them: ~0.4 s a tile at scale 1.
Stored with a GiST index, it is found like any other layer's geometry. A row trigger draws it
when an edge is written or re-linked; another redraws the edges of a node that moves.

Revision ID: 0005
Revises: 0004

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from geoalchemy2 import Geometry

revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

DRAW = """
CREATE FUNCTION twin_draw_edge() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.geom := ST_MakeLine((SELECT geom FROM network_nodes WHERE id = NEW.from_node),
                            (SELECT geom FROM network_nodes WHERE id = NEW.to_node));
    RETURN NEW;
END
$$;
CREATE TRIGGER twin_draw_edge BEFORE INSERT OR UPDATE OF from_node, to_node ON network_edges
    FOR EACH ROW EXECUTE FUNCTION twin_draw_edge();
CREATE FUNCTION twin_redraw_edges_of_node() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE network_edges e
    SET geom = ST_MakeLine((SELECT geom FROM network_nodes WHERE id = e.from_node),
                           (SELECT geom FROM network_nodes WHERE id = e.to_node))
    WHERE e.from_node = NEW.id OR e.to_node = NEW.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER twin_redraw_edges AFTER UPDATE OF geom ON network_nodes
    FOR EACH ROW WHEN (OLD.geom IS DISTINCT FROM NEW.geom)
    EXECUTE FUNCTION twin_redraw_edges_of_node();
"""


def upgrade() -> None:
    op.add_geospatial_column('network_edges', sa.Column('geom', Geometry(geometry_type='LINESTRING', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True, comment='straight line from its from-node to its to-node (EPSG:4326), drawn by the database when the edge is written or a node moves'))
    # add_geospatial_column drops the comment: set it on its own
    op.execute("COMMENT ON COLUMN network_edges.geom IS 'straight line from its from-node to its "
               "to-node (EPSG:4326), drawn by the database when the edge is written or a node "
               "moves'")
    op.execute("UPDATE network_edges e SET geom = ST_MakeLine(a.geom, b.geom) "
               "FROM network_nodes a, network_nodes b "
               "WHERE a.id = e.from_node AND b.id = e.to_node")
    op.create_geospatial_index('idx_network_edges_geom', 'network_edges', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.execute(DRAW)


def downgrade() -> None:
    op.execute("DROP FUNCTION twin_redraw_edges_of_node() CASCADE")
    op.execute("DROP FUNCTION twin_draw_edge() CASCADE")
    op.drop_geospatial_index('idx_network_edges_geom', table_name='network_edges', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_column('network_edges', 'geom')
